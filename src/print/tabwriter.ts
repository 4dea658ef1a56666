/**
 * Go's text/tabwriter algorithm, which kubectl prints its tables and `describe` output with.
 * Cells are tab-terminated; the text after a line's last tab is not part of any column. A column
 * block is a run of consecutive lines that all have a cell in that column; each block is as wide
 * as its widest cell plus padding (at least `minWidth`).
 */

export interface TabwriterOptions {
  minWidth: number;
  padding: number;
  /**
   * Keeps column widths from one `format` call to the next, only ever growing them (the
   * RememberWidths flag of kubectl's fork), so the rows of `get -w` line up with the first table.
   */
  rememberWidths?: boolean;
}

/** kubectl get: `tabwriter.NewWriter(out, 6, 4, 3, ' ', RememberWidths)`. */
export const TABLE_OPTIONS: TabwriterOptions = { minWidth: 6, padding: 3 };
/** kubectl describe: `tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)`. */
export const DESCRIBE_OPTIONS: TabwriterOptions = { minWidth: 0, padding: 2 };

const width = (s: string) => [...s].length;

export class Tabwriter {
  private remembered: number[] = [];
  constructor(private readonly opts: TabwriterOptions) {}

  /** Formats text whose lines hold tab-separated cells. */
  format(text: string): string {
    const trailingNewline = text.endsWith('\n');
    const lines = (trailingNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
    const out: string[] = lines.map(() => '');
    const widths: number[] = [];

    const emit = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const cells = lines[i]!;
        let s = '';
        for (let j = 0; j < cells.length; j++) {
          const c = cells[j]!;
          if (j < cells.length - 1) {
            const w = widths[j] ?? 0;
            s += c + ' '.repeat(Math.max(0, w - width(c)));
          } else s += c;
        }
        out[i] = s;
      }
    };

    // Mirrors tabwriter.format: recursion over columns, each level finding its column blocks.
    const format = (line0: number, line1: number): void => {
      const column = widths.length;
      let start = line0;
      for (let t = line0; t < line1; t++) {
        if (column >= lines[t]!.length - 1) continue;
        emit(start, t);
        start = t;
        let w = this.opts.minWidth;
        for (; t < line1; t++) {
          const cells = lines[t]!;
          if (column >= cells.length - 1) break;
          w = Math.max(w, width(cells[column]!) + this.opts.padding);
        }
        if (this.opts.rememberWidths) {
          w = Math.max(w, this.remembered[column] ?? 0);
          this.remembered[column] = w;
        }
        widths.push(w);
        format(start, t);
        widths.pop();
        start = t;
        t--; // the outer loop's increment must not skip the line that ended the block
      }
      emit(start, line1);
    };
    format(0, lines.length);
    return out.join('\n') + (trailingNewline ? '\n' : '');
  }
}

/** Formats rows of cells as a kubectl table (the last column is not padded). */
export function formatTable(rows: readonly (readonly string[])[], writer = new Tabwriter(TABLE_OPTIONS)): string {
  if (rows.length === 0) return '';
  return writer.format(rows.map((r) => r.join('\t')).join('\n') + '\n');
}
