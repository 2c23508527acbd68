// Flink on YARN: Hadoop discovery, the ResourceManager's REST API, and sessions found by tag.
export {findHadoop, resourceManagerUrl, type HadoopSetup} from './hadoop.ts'
export {ACTIVE_STATES, ENDED_STATES, ResourceManager, YarnError, normalizeTag, tagsOf, type YarnApp, type YarnAppAttempt} from './rm.ts'
export {
  DEFAULT_SESSION_NAME, FLINKCTL_TAG, clientArgs, listYarnSessions, optionsAsDynamic, parseClientOutput, resolveSession, sessionNameOf, sessionTag,
  startYarnSession, stopYarnSession, yarnRestTarget, viewOf, waitServing, yarnContext, yarnSessionStatus,
  type ListReport, type SessionView, type StartOptions, type StartReport, type StatusReport, type StopReport, type YarnContext,
} from './session.ts'
