// Preloaded with `node --import` into the real binary by heavy.test.ts: at exit, writes the
// process's peak RSS and CPU time (getrusage) to $FLINKCTL_PEAK_RSS_FILE. Node alone, nothing
// to install, and exact: the kernel's high-water mark, not a sample.
import {writeFileSync} from 'node:fs'

const out = process.env.FLINKCTL_PEAK_RSS_FILE
if (out) {
  process.on('exit', () => {
    const u = process.resourceUsage()
    writeFileSync(out, JSON.stringify({maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000}))
  })
}
