import {errorEnvelope, renderInternalError} from '../output/envelope.ts'
import {redactInline} from '../conf/redact.ts'

/**
 * The last line of defence: an error nothing caught (an 'error' event with no listener, a
 * rejected promise nobody awaited) becomes the documented internal-error outcome, exit 1 with
 * the FLINKCTL_DEBUG hint and, under --json, the error envelope on stdout, instead of Node's
 * stack trace. Installed by bin/run.js before any command loads.
 */
export function installProcessGuard(argv: readonly string[], opts: {exit?: (code: number) => never} = {}): void {
  const json = argv.includes('--json')
  const command = argv.find((a) => !a.startsWith('-'))
  const debug = Boolean(process.env.FLINKCTL_DEBUG)
  let fired = false
  const onFatal = (reason: unknown) => {
    if (fired) return
    fired = true
    const raw = reason instanceof Error ? reason : new Error(String(reason))
    // not a FlinkctlError's own exit code: nothing should have reached here, so it is a bug
    const err = Object.assign(new Error(redactInline(raw.message)), {stack: raw.stack === undefined ? undefined : redactInline(raw.stack)})
    try {
      if (json) process.stdout.write(`${JSON.stringify(errorEnvelope(command, err), null, 2)}\n`)
      else process.stderr.write(renderInternalError(err, debug))
    } catch {}
    ;(opts.exit ?? process.exit)(1)
  }
  // `flinkctl status | head`: a reader that went away is not an error of ours
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') (opts.exit ?? process.exit)(typeof process.exitCode === 'number' ? process.exitCode : 0)
      else onFatal(err)
    })
  }
  process.on('uncaughtException', onFatal)
  process.on('unhandledRejection', onFatal)
}
