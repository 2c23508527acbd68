import {parseArgs} from 'node:util'
import {isFlinkctlError} from '../errors.ts'
import {errorEnvelope, renderInternalError, renderUserError, successEnvelope} from '../output/envelope.ts'
import {makeStyle} from '../output/style.ts'
import {renderValidation, validationJson} from '../output/validation.ts'
import {validateConfDirs, validateRequestFromFlags} from '../validate/run.ts'

/**
 * `flinkctl validate` without loading oclif: the command is run before every deploy and in CI
 * loops, so its start-up time matters. Returns false, touching nothing, for anything it does not
 * handle exactly like the oclif command (help, unknown flags): bin/run.js then falls back to oclif.
 * test/commands/cli.test.ts checks that both paths print the same.
 */
export function runFastValidate(argv: readonly string[]): boolean {
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        'conf-dir': {type: 'string', short: 'c', multiple: true},
        'flink-home': {type: 'string'},
        'flink-version': {type: 'string'},
        dynamic: {type: 'string', short: 'D', multiple: true},
        strict: {type: 'boolean'},
        quiet: {type: 'boolean', short: 'q'},
        yarn: {type: 'boolean'},
        json: {type: 'boolean'},
      },
    })
  } catch {
    return false
  }
  const flags = parsed.values
  if (Object.values(flags).some((v) => v === '' || (Array.isArray(v) && v.includes('')))) return false
  const json = Boolean(flags.json)
  const out = makeStyle(process.stdout, {json})
  const err = makeStyle(process.stderr, {json})
  try {
    const outcome = validateConfDirs(validateRequestFromFlags(flags))
    const result = validationJson(outcome)
    if (!json) process.stdout.write(`${renderValidation(outcome, out, flags.quiet)}\n`)
    if (outcome.failure) {
      Object.assign(outcome.failure, {details: result})
      throw outcome.failure
    }
    if (json) process.stdout.write(`${JSON.stringify(successEnvelope('validate', result), null, 2)}\n`)
    process.exitCode = 0
  } catch (e) {
    const error = e as Error
    if (json) process.stdout.write(`${JSON.stringify(errorEnvelope('validate', error), null, 2)}\n`)
    else if (isFlinkctlError(error)) process.stderr.write(renderUserError(error, err))
    else process.stderr.write(renderInternalError(error, Boolean(process.env.FLINKCTL_DEBUG)))
    process.exitCode = isFlinkctlError(error) ? error.exit : 1
  }
  return true
}
