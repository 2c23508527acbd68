import {Command, Errors, Flags, type Interfaces} from '@oclif/core'
import {loadCluster} from '../conf/load.ts'
import type {ClusterConf} from '../conf/types.ts'
import {ExitCode, isFlinkctlError} from '../errors.ts'
import {errorEnvelope, renderInternalError, renderUserError, successEnvelope} from './envelope.ts'
import {makeStyle, type Style} from './style.ts'

export type InferredFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type InferredArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** Flags every command that reads a Flink configuration shares. */
export const confFlags = {
  'conf-dir': Flags.directory({
    char: 'c',
    description: 'Flink configuration directory (default: $FLINK_CONF_DIR, else $FLINK_HOME/conf).',
    helpGroup: 'CONFIGURATION',
  }),
  'flink-home': Flags.directory({description: 'Flink distribution (default: $FLINK_HOME, else the parent of the conf dir).', helpGroup: 'CONFIGURATION'}),
  'flink-version': Flags.string({description: 'Flink version to apply rules for (default: from lib/flink-dist-<v>.jar).', helpGroup: 'CONFIGURATION'}),
  dynamic: Flags.string({
    char: 'D',
    description: 'Dynamic property key=value, overriding the config file (repeatable).',
    helpGroup: 'CONFIGURATION',
    multiple: true,
  }),
}

/**
 * Owns --json, colours and exit codes. Results go to stdout (a JSON envelope under --json),
 * progress and problems to stderr; a FlinkctlError becomes one message with a hint and its
 * documented exit code, never a stack trace.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true

  protected flags!: InferredFlags<T>
  protected args!: InferredArgs<T>
  protected out!: Style
  protected err!: Style

  public override async init(): Promise<void> {
    await super.init()
    const {args, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as InferredFlags<T>
    this.args = args as InferredArgs<T>
    this.out = makeStyle(process.stdout, {json: this.jsonEnabled()})
    this.err = makeStyle(process.stderr, {json: this.jsonEnabled()})
  }

  /** The cluster named by the shared configuration flags (confFlags). */
  protected loadConf(): ClusterConf {
    return this.loadConfWith((this.flags as unknown as {dynamic?: string[]}).dynamic)
  }

  /** The configuration when one is named or found; undefined when none is (for commands that can do without). */
  protected loadConfIfAny(): ClusterConf | undefined {
    const f = this.flags as unknown as {'conf-dir'?: string; 'flink-home'?: string}
    if (!f['conf-dir'] && !f['flink-home'] && !process.env.FLINK_CONF_DIR && !process.env.FLINK_HOME) return undefined
    return this.loadConf()
  }

  /** The same, with these dynamic properties instead of -D's. */
  protected loadConfWith(dynamic: readonly string[] | undefined): ClusterConf {
    const f = this.flags as unknown as {'conf-dir'?: string; 'flink-home'?: string; 'flink-version'?: string}
    return loadCluster({confDir: f['conf-dir'], flinkHome: f['flink-home'], flinkVersion: f['flink-version'], dynamic})
  }

  /** Human output on stdout; silent under --json. */
  protected say(text = ''): void {
    if (!this.jsonEnabled()) process.stdout.write(`${text}\n`)
  }

  /** Progress and notes on stderr, in both modes. */
  protected progress(text: string): void {
    process.stderr.write(`${text}\n`)
  }

  protected override toSuccessJson(result: unknown): unknown {
    return successEnvelope(this.id, result)
  }

  protected override toErrorJson(err: unknown): unknown {
    return errorEnvelope(this.id, err)
  }

  protected override async catch(err: Error & {oclif?: {exit?: number | false}; code?: string}): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err
    let exit: number
    if (isFlinkctlError(err)) exit = err.exit
    else if (typeof err.oclif?.exit === 'number') exit = err.oclif.exit
    else exit = ExitCode.Internal
    process.exitCode = exit
    if (this.jsonEnabled()) {
      this.logJson(this.toErrorJson(err))
    } else if (isFlinkctlError(err)) {
      process.stderr.write(renderUserError(err, this.err ?? makeStyle(process.stderr)))
    } else if (exit === ExitCode.Usage) {
      // parser errors: oclif prints them (with the "see --help" line)
      throw err
    } else {
      process.stderr.write(renderInternalError(err, Boolean(process.env.FLINKCTL_DEBUG)))
    }
    throw new Errors.ExitError(exit)
  }
}
