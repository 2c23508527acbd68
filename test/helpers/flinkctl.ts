// Runs the real flinkctl binary (bin/run.js, from dist/: `npm run build` first) the way an
// operator or a CI script does, and parses its --json envelope.
import {execFile} from 'node:child_process'
import {join} from 'node:path'
import {repoRoot} from './ground-flink.ts'

export const FLINKCTL_BIN = join(repoRoot, 'bin/run.js')

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** The parsed --json envelope, when stdout held one. */
  json?: {ok: boolean; command: string; result?: any; error?: {code: string; message: string; hint?: string; exit: number; details?: any}}
}

export function flinkctl(args: string[], opts: {env?: NodeJS.ProcessEnv; timeoutMs?: number} = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FLINKCTL_BIN, ...args], {
      cwd: repoRoot,
      env: {...process.env, FLINK_CONF_DIR: undefined, FLINK_HOME: undefined, NO_COLOR: '1', ...opts.env},
      maxBuffer: 64 * 1024 * 1024,
      timeout: opts.timeoutMs ?? 600_000,
    }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
      let json: CliResult['json']
      if (args.includes('--json')) {
        try {
          json = JSON.parse(String(stdout))
        } catch {
          json = undefined
        }
      }
      resolve({code, stdout: String(stdout), stderr: String(stderr), json})
    })
  })
}

/** A readable failure message for assertions: the command, exit code and both streams. */
export const explain = (args: string[], r: CliResult): string =>
  `flinkctl ${args.join(' ')} → exit ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`
