/**
 * Polls probe until it returns something other than undefined; errors count as "not yet". On
 * timeout the error names what was awaited, the last error, and whatever context() adds.
 */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, opts: {intervalMs?: number; context?: () => string} = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500))
  }
  const extra = opts.context ? `\n${opts.context()}` : ''
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}${extra}`)
}
