/**
 * Maps a configuration field path (["api", "port"]) to the line of the TOML file that sets it, so every
 * validation error can name FILE:LINE (docs/design.md, "How the code is written"). A small line scanner, not a parser:
 * smol-toml has already accepted the file, so only table headers and `key =` lines matter here.
 */
type Path = ReadonlyArray<string | number>;

function splitKey(raw: string): string[] {
  const parts: string[] = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < raw.length && (m = re.exec(raw)) !== null) {
    const k = m[1];
    parts.push(k.startsWith('"') ? (JSON.parse(k) as string) : k.startsWith("'") ? k.slice(1, -1) : k);
    if (m[0].length === 0) break;
  }
  return parts;
}

export class TomlLocator {
  private readonly lines = new Map<string, number>();

  constructor(text: string) {
    let table: string[] = [];
    const arrayCounts = new Map<string, number>();
    const rows = text.split('\n');
    for (let i = 0; i < rows.length; i++) {
      const line = rows[i].trim();
      const lineNo = i + 1;
      let m: RegExpMatchArray | null;
      if ((m = line.match(/^\[\[\s*([^\]]+?)\s*\]\]/))) {
        const key = splitKey(m[1]);
        const id = key.join('.');
        const idx = arrayCounts.get(id) ?? 0;
        arrayCounts.set(id, idx + 1);
        table = [...key, String(idx)];
        this.set(key, lineNo);
        this.set(table, lineNo);
      } else if ((m = line.match(/^\[\s*([^\]]+?)\s*\]/))) {
        table = splitKey(m[1]);
        this.set(table, lineNo);
      } else if ((m = line.match(/^((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.\s-])+?)\s*=/))) {
        const full = [...table, ...splitKey(m[1])];
        this.set(full, lineNo);
      }
    }
  }

  private set(path: string[], line: number): void {
    const id = path.join('.');
    if (!this.lines.has(id)) this.lines.set(id, line);
  }

  /** The line that sets `path`, or its nearest enclosing key or table; 0 when none is in the file. */
  lineOf(path: Path): number {
    for (let n = path.length; n > 0; n--) {
      const hit = this.lines.get(path.slice(0, n).map(String).join('.'));
      if (hit !== undefined) return hit;
    }
    return 0;
  }
}
