import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after} from 'node:test'
import {FlinkctlError} from '../../src/lib/errors.ts'

const made: string[] = []
after(() => {
  for (const dir of made) rmSync(dir, {recursive: true, force: true})
})

/** A throwaway directory with the given files (null = leave out); removed after the test file. */
export function writeTree(files: Record<string, string | null>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flinkctl-test-'))
  made.push(dir)
  for (const [name, content] of Object.entries(files)) {
    if (content === null) continue
    const path = join(dir, name)
    mkdirSync(dirname(path), {recursive: true})
    writeFileSync(path, content)
  }
  return dir
}

/** Awaits p, which must reject with a FlinkctlError of this code and exit code; returns it. */
export async function rejectsWith(p: Promise<unknown>, code: string, exit: number): Promise<FlinkctlError> {
  let caught: unknown
  try {
    await p
  } catch (err) {
    caught = err
  }
  assert.ok(caught instanceof FlinkctlError, `expected FlinkctlError ${code}, got ${String(caught)}`)
  assert.equal(caught.code, code, caught.message)
  assert.equal(caught.exit, exit)
  return caught
}
