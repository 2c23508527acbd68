import type {Style} from './style.ts'

// eslint-disable-next-line no-control-regex
const visible = (s: string): number => s.replace(/\u001b\[[0-9;]*m/g, '').length

/** A plain aligned table; the last column is not padded. */
export function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>, s: Style): string {
  const widths = head.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))))
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - visible(c)))).join('  ').trimEnd()
  return [s.bold(line(head)), ...rows.map(line)].join('\n')
}
