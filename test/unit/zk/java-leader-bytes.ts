import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const PROGRAM = fileURLToPath(new URL('./LeaderInfoBytes.java', import.meta.url))

/** Leader information bytes from a real JDK ObjectOutputStream (LeaderInfoBytes.java), one per input. */
export function javaLeaderBytes(inputs: ReadonlyArray<{address: string; sessionId: string}>): Buffer[] {
  for (const i of inputs) if (/[\t\n\r]/.test(i.address)) throw new Error('addresses cannot hold tabs or newlines here')
  const stdin = inputs.map((i) => `${i.sessionId}\t${i.address}\n`).join('')
  const out = execFileSync('java', ['-Xmx64m', PROGRAM], {input: stdin, encoding: 'utf8', timeout: 60_000})
  const lines = out.split('\n').filter(Boolean)
  if (lines.length !== inputs.length) throw new Error(`LeaderInfoBytes.java printed ${lines.length} lines for ${inputs.length} inputs`)
  return lines.map((hex) => Buffer.from(hex, 'hex'))
}
