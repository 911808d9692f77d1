# KeyClave's static checker for automation scripts: reads {"source": ...}
# as JSON on stdin and prints the facts core judges (syntax, imports, calls,
# string literals, checkpoints, critical actions) as one JSON object.
# It decides nothing: the rules live in core (automation::check).
import ast
import json
import sys

# Browser calls that act on a page (Playwright's Page / Locator API).
ACTIONS = {"click", "dblclick", "fill", "type", "press", "check", "uncheck", "select_option",
           "set_input_files", "tap", "dispatch_event", "submit", "press_sequentially"}
HTTP_WRITES = {"post", "put", "patch", "delete"}


def dotted(node):
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = dotted(node.func)
        if inner:
            parts.append(inner + "()")
            return ".".join(reversed(parts))
    return None


def strings_in(node):
    """Every string literal in an expression (selectors, button texts)."""
    out = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            out.append(sub.value)
    return out


def literal_str(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def is_kc_call(func, name, aliases):
    if isinstance(func, ast.Attribute) and func.attr == name and isinstance(func.value, ast.Name):
        return func.value.id in aliases
    return isinstance(func, ast.Name) and func.id == name and name in aliases.get("__from__", set())


class Facts(ast.NodeVisitor):
    def __init__(self):
        self.imports, self.calls, self.strings, self.checkpoints = [], [], [], []
        self.actions, self.secrets, self.writes, self.discarded = [], [], [], []
        self.scope = ["<module>"]
        self.aliases = {"__from__": set()}

    def visit_Import(self, node):
        for a in node.names:
            self.imports.append({"line": node.lineno, "module": a.name})
            if a.name == "keyclave_runtime":
                self.aliases[a.asname or a.name] = True
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        for a in node.names:
            self.imports.append({"line": node.lineno, "module": module + "." + a.name if module else a.name})
            if module == "keyclave_runtime":
                self.aliases["__from__"].add(a.asname or a.name)
        self.generic_visit(node)

    def _function(self, node):
        self.scope.append(f"{node.name}@{node.lineno}")
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_Expr(self, node):
        call = node.value
        if isinstance(call, ast.Await):
            call = call.value
        if isinstance(call, ast.Call) and is_kc_call(call.func, "checkpoint", self.aliases):
            self.discarded.append({"line": node.lineno})
        self.generic_visit(node)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            self.strings.append({"line": node.lineno, "value": node.value})

    def visit_Call(self, node):
        name = dotted(node.func)
        scope = self.scope[-1]
        if name:
            self.calls.append({"line": node.lineno, "name": name})
        if is_kc_call(node.func, "checkpoint", self.aliases):
            kind = literal_str(node.args[0]) if node.args else None
            for kw in node.keywords:
                if kw.arg == "kind":
                    kind = literal_str(kw.value)
            self.checkpoints.append({"line": node.lineno, "scope": scope, "kind": kind})
        elif is_kc_call(node.func, "secret", self.aliases) or is_kc_call(node.func, "store_secret", self.aliases):
            arg = node.args[0] if node.args else None
            fname = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            self.secrets.append({"line": node.lineno, "name": literal_str(arg) if arg is not None else None,
                                 "store": fname == "store_secret"})
        elif isinstance(node.func, (ast.Attribute, ast.Name)):
            attr = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            if attr in ACTIONS and isinstance(node.func, ast.Attribute):
                texts = strings_in(node.func.value) + [s for a in node.args for s in strings_in(a)] \
                    + [s for kw in node.keywords for s in strings_in(kw.value)]
                self.actions.append({"line": node.lineno, "scope": scope, "kind": "browser." + attr, "texts": texts})
            elif attr in HTTP_WRITES or attr == "request" or attr == "urlopen" or attr == "Request":
                method = attr.upper() if attr in HTTP_WRITES else None
                for kw in node.keywords:
                    if kw.arg == "method":
                        method = (literal_str(kw.value) or "?").upper()
                    if kw.arg == "data" and method is None and attr in ("urlopen", "Request"):
                        method = "POST"
                if attr == "request" and node.args:
                    method = (literal_str(node.args[0]) or "?").upper()
                if method and method != "GET":
                    self.actions.append({"line": node.lineno, "scope": scope, "kind": "http." + method,
                                         "texts": [s for a in node.args for s in strings_in(a)]})
        if isinstance(node.func, ast.Name) and node.func.id == "open":
            mode = literal_str(node.args[1]) if len(node.args) > 1 else None
            for kw in node.keywords:
                if kw.arg == "mode":
                    mode = literal_str(kw.value)
            if mode is None and (len(node.args) > 1 or any(kw.arg == "mode" for kw in node.keywords)):
                mode = "?"
            if mode and any(c in mode for c in "wax+?"):
                path = literal_str(node.args[0]) if node.args else None
                self.writes.append({"line": node.lineno, "path": path})
        self.generic_visit(node)


def main():
    request = json.load(sys.stdin)
    source = request["source"]
    try:
        tree = ast.parse(source, filename="script.py")
    except SyntaxError as e:
        print(json.dumps({"syntax_error": {"line": e.lineno or 1, "message": e.msg}}))
        return
    facts = Facts()
    facts.visit(tree)
    print(json.dumps({
        "syntax_error": None,
        "imports": facts.imports,
        "calls": facts.calls,
        "strings": facts.strings,
        "checkpoints": facts.checkpoints,
        "actions": facts.actions,
        "secrets": facts.secrets,
        "writes": facts.writes,
        "discarded": facts.discarded,
    }))


main()
