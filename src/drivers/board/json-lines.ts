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

/** Line of a JSON.parse SyntaxError ("... at position N" or "(line L column C)"), 0 if it says neither. */
export function jsonErrorLine(text: string, message: string): number {
  const lc = /line (\d+) column \d+/.exec(message);
  if (lc) return Number(lc[1]);
  const pos = /position (\d+)/.exec(message);
  return pos ? lineAt(text, Number(pos[1])) : 0;
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
  const str = (): string => {
    const start = i;
    i++; // opening quote
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
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
        ws();
        i++; // ':'
        const child = value();
        node.kids.set(key, { ...child, line: keyLine });
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '[') {
      i++;
      ws();
      let k = 0;
      while (text[i] !== ']') {
        node.kids.set(String(k++), value());
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '"') str();
    else {
      while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
    }
    if (i > text.length) throw new Error('unterminated');
    return node;
  };
  return value();
}
