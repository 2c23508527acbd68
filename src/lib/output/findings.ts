import {relative} from 'node:path'
import type {Finding} from '../conf/types.ts'
import type {Style} from './style.ts'

/** A path as the user most likely typed it: relative to the working directory when under it. */
export function displayPath(path: string, cwd = process.cwd()): string {
  const rel = relative(cwd, path)
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith('/') ? rel : path
}

export function location(f: Pick<Finding, 'file' | 'line' | 'col'>): string {
  if (!f.file) return '-'
  return [displayPath(f.file), f.line, f.line !== undefined ? f.col : undefined].filter((x) => x !== undefined).join(':')
}

/** `file:line:col  severity  RULE-ID  message` and an indented hint, one finding per block. */
export function renderFindings(findings: readonly Finding[], s: Style): string {
  const paint = {error: s.red, warning: s.yellow, info: s.blue}
  return findings
    .map((f) => `${s.bold(location(f))}: ${paint[f.severity](f.severity)} ${s.dim(f.rule)} ${f.message}\n    ${s.cyan('hint')}: ${f.hint}`)
    .join('\n')
}

/** Findings as they appear under --json: displayable positions, all fields present. */
export const findingJson = (f: Finding) => ({...f, file: f.file ? displayPath(f.file) : undefined})
