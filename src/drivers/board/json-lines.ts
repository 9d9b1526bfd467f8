/**
 * Line numbers for a board profile's problems: JSON.parse keeps no positions, and an error must name
 * file, line and field (README.md, "Configuration"), for a profile as for the TOML file. A small scanner
 * over text that JSON.parse has already accepted: it records the line each member or element starts on.
 */

interface Node {
  line: number;
  kids: Map<string, Node>;
}

/** 1-based line of `pos` in `text`. */
export function lineAt(text: string, pos: number): number {
  let n = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Line of the deepest part of `path` present in the JSON `text` (0 when the text is not JSON). */
export function jsonLineOf(text: string, path: ReadonlyArray<string | number>): number {
  let root: Node;
  try {
    root = scan(text);
  } catch {
    return 0;
  }
  let node = root;
  for (const p of path) {
    const next = node.kids.get(String(p));
    if (!next) break;
    node = next;
  }
  return node.line;
}

/**
 * Line of the syntax error in `text` that JSON.parse refused: from its message when it gives a position
 * (newer V8: "(line L column C)", or "at position N"), else where this scanner stops (Node 20 says only
 * "Unexpected token ..."). 0 if neither tells.
 */
export function jsonErrorLine(text: string, message: string): number {
  const lc = /line (\d+) column \d+/.exec(message);
  if (lc) return Number(lc[1]);
  const pos = /position (\d+)/.exec(message);
  if (pos) return lineAt(text, Number(pos[1]));
  try {
    scan(text);
  } catch (e) {
    if (e instanceof ScanError) return lineAt(text, e.pos);
  }
  return 0;
}

/** JSON.parse's reason without the copy of the text that Node 20 appends (`, "..." is not valid JSON`). */
export function jsonErrorReason(message: string): string {
  return message.replace(/, ".*" is not valid JSON$/s, '').split('\n')[0]!.slice(0, 200);
}

class ScanError extends Error {
  constructor(readonly pos: number) {
    super(`JSON syntax error at ${pos}`);
  }
}

function scan(text: string): Node {
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) {
      if (text[i] === '\n') line++;
      i++;
    }
  };
  const expect = (ch: string) => {
    ws();
    if (text[i] !== ch) throw new ScanError(i);
    i++;
  };
  const str = (): string => {
    const start = i;
    if (text[i] !== '"') throw new ScanError(i);
    i++; // opening quote
    while (text[i] !== '"') {
      if (i >= text.length || text[i] === '\n') throw new ScanError(start);
      i += text[i] === '\\' ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): Node => {
    ws();
    const node: Node = { line, kids: new Map() };
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      while (text[i] !== '}') {
        ws();
        const keyLine = line;
        const key = str();
        expect(':');
        const child = value();
        node.kids.set(key, { ...child, line: keyLine });
        ws();
        if (text[i] === ',') {
          i++;
          ws();
        } else if (text[i] !== '}') throw new ScanError(i);
      }
      i++;
    } else if (c === '[') {
      i++;
      ws();
      let k = 0;
      while (text[i] !== ']') {
        node.kids.set(String(k++), value());
        ws();
        if (text[i] === ',') {
          i++;
          ws();
        } else if (text[i] !== ']') throw new ScanError(i);
      }
      i++;
    } else if (c === '"') str();
    else {
      const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
      if (!m) throw new ScanError(i);
      i += m[0].length;
    }
    if (i > text.length) throw new ScanError(text.length);
    return node;
  };
  return value();
}
