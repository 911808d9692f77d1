// Tags typed as one comma-separated field.

/** "a, b,,c, a" → ["a", "b", "c"]: trimmed, empty dropped, duplicates (any case) dropped. */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.split(",")) {
    const tag = raw.trim().replace(/\s+/g, " ");
    const key = tag.toLowerCase();
    if (tag && !seen.has(key)) {
      seen.add(key);
      out.push(tag);
    }
  }
  return out;
}

/** ["a", "b"] → "a, b" (for editing). */
export function formatTags(tags: readonly string[]): string {
  return tags.join(", ");
}
