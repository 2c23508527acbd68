/** Progress leaves the library as events; output/ renders them on stderr (never stdout). */
export interface ProgressEvent {
  level: 'info' | 'warn' | 'error'
  /** The host it concerns, when there is one. */
  host?: string
  message: string
}

export type Emit = (event: ProgressEvent) => void

export const silent: Emit = () => {}
