import {basename} from 'node:path'
import {Args} from '@oclif/core'
import {completionScript, type CompletionCommand, type Shell} from '../lib/completion/script.ts'
import {BaseCommand} from '../lib/output/base-command.ts'

export default class Autocomplete extends BaseCommand<typeof Autocomplete> {
  static override summary = 'Print a bash or zsh completion script: commands, flags, their values, and host names of the conf for --host.'
  static override description = `Completes command and topic names, each command's flags, the values of flags that list them (e.g. drill --target), directories for --conf-dir and --flink-home, and for --host the hosts of masters, workers and zoo.cfg in the conf dir the command line names (--conf-dir, else FLINK_CONF_DIR, else FLINK_HOME/conf, else ./conf), read when TAB is pressed. Host names are offered only when they look like host names; nothing from the conf files is ever evaluated by the shell.
Exit codes: 0 printed, 2 unknown shell.`
  static override examples = [
    {command: 'eval "$(<%= config.bin %> autocomplete bash)"', description: 'In this bash session (add the line to ~/.bashrc to keep it).'},
    {command: '<%= config.bin %> autocomplete bash > ~/.local/share/bash-completion/completions/<%= config.bin %>', description: 'Installed for bash-completion, loaded on first use.'},
    {command: '<%= config.bin %> autocomplete zsh > "${fpath[1]}/_<%= config.bin %>"', description: 'For zsh (through bashcompinit); then start a new shell.'},
  ]
  static override args = {
    shell: Args.string({description: 'bash or zsh (default: the basename of $SHELL, else bash).', options: ['bash', 'zsh'], required: false}),
  }

  async run() {
    const fromEnv = basename(process.env.SHELL ?? '')
    const shell: Shell = (this.args.shell as Shell | undefined) ?? (fromEnv === 'zsh' ? 'zsh' : 'bash')
    const commands: CompletionCommand[] = this.config.commands.filter((c) => !c.hidden).map((c) => ({
      id: c.id.replace(/:/g, ' '),
      flags: Object.entries(c.flags ?? {}).filter(([, f]) => !f.hidden).map(([name, f]) => ({
        name, value: f.type === 'option', ...(f.char ? {char: f.char} : {}), ...(f.type === 'option' && f.options ? {options: f.options} : {}),
      })),
    }))
    const script = completionScript(shell, commands, this.config.bin)
    if (!this.jsonEnabled()) process.stdout.write(script)
    return {shell, commands: commands.length, script}
  }
}
