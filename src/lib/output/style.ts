import {Chalk, type ChalkInstance} from 'chalk'

/** Colour only for a terminal, never with NO_COLOR (any value) or under --json. */
export function makeStyle(stream: NodeJS.WriteStream, opts: {json?: boolean; env?: NodeJS.ProcessEnv} = {}): ChalkInstance {
  const env = opts.env ?? process.env
  const off = opts.json || 'NO_COLOR' in env || !stream.isTTY || env.TERM === 'dumb'
  return new Chalk({level: off ? 0 : 1})
}

export type Style = ChalkInstance
