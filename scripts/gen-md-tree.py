#!/usr/bin/env python3
"""Generate a Markdown tree for the scan benchmark.

Usage: gen-md-tree.py DIR [FILES] [BYTES_PER_FILE]
Defaults: 20,000 files of ~10 KB (~200 MB) in nested folders, with prose,
headings, tables, links, fenced and indented code, env vars of known and
unknown providers, provider names, domains and capability phrases, at
roughly the density of real READMEs. Deterministic (seeded).
"""
import os
import random
import sys

WORDS = ("the of and to in is you that it he was for on are as with his they at be this from have or "
         "one had by word but not what all were we when your can said there use an each which she do how "
         "their if will up other about out many then them these so some her would make like him into time "
         "has look two more write go see number no way could people my than first water been call who oil "
         "its now find long down day did get come made may part service request response client server "
         "config deploy build release token key secret value environment variable project library").split()
MENTIONS = [
    "Set `OPENAI_API_KEY` before running the examples.",
    "We use Stripe for billing; see https://docs.stripe.com/keys for details.",
    "Export GITHUB_TOKEN (or GH_TOKEN) so the release script can push tags.",
    "Errors are reported to Sentry at https://sentry.io/organizations/acme.",
    "The bot posts to Slack via SLACK_BOT_TOKEN.",
    "Images are stored in Amazon S3 (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).",
    "We send transactional email for password resets.",
    "Maps use interactive maps with geocoding.",
    "Claude models are called through the Anthropic API.",
    "Hosted on Vercel; previews at https://vercel.com/acme.",
]
CODE = [
    "```bash\nexport ANTHROPIC_API_KEY=...\nexport ACME_SERVICE_TOKEN=changeme\nnpm run dev\n```",
    "```python\nimport os\nclient = OpenAI(api_key=os.environ[\"OPENAI_API_KEY\"])\n```",
    "    SUPABASE_URL=https://xyz.supabase.co\n    SUPABASE_ANON_KEY=...",
    "```toml\n[server]\nport = 8080\nlog_level = \"info\"\n```",
]


def paragraph(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def document(rng, size):
    parts = [f"# {paragraph(rng, 4)}\n"]
    total = 0
    while total < size:
        r = rng.random()
        if r < 0.08:
            block = rng.choice(MENTIONS)
        elif r < 0.12:
            block = rng.choice(CODE)
        elif r < 0.16:
            block = "| name | value |\n|------|-------|\n| " + " | ".join(rng.choice(WORDS) for _ in range(2)) + " |"
        elif r < 0.2:
            block = f"## {paragraph(rng, 3)}"
        else:
            block = paragraph(rng, rng.randint(20, 60))
        parts.append(block + "\n\n")
        total += len(block) + 2
    return "".join(parts)


def main():
    root = sys.argv[1]
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 20_000
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    rng = random.Random(42)
    # A pool of documents reused across files keeps generation fast while
    # every file still differs (its own heading line).
    pool = [document(rng, size) for _ in range(200)]
    for i in range(files):
        d = os.path.join(root, f"pkg{i // 1000:02d}", f"mod{(i // 50) % 20:02d}")
        os.makedirs(d, exist_ok=True)
        name = "README.md" if i % 50 == 0 else f"doc{i:05d}.md"
        with open(os.path.join(d, name), "w") as f:
            f.write(f"<!-- file {i} -->\n")
            f.write(pool[i % len(pool)])


if __name__ == "__main__":
    main()
