/**
 * Flink's JobManager and TaskManager memory model, computing byte-for-byte the two lines
 * BashJavaUtils prints (after `BASH_JAVA_UTILS_EXEC_RESULT:`) for GET_JM_RESOURCE_PARAMS and
 * GET_TM_RESOURCE_PARAMS on Flink 1.20.x and 2.x.
 */
export {MemoryConfigError, type FlinkExceptionKind, type MemoryInput, type ResourceParams} from './common.ts'
export {jobManagerProcessSpec, jobManagerResourceParams, type JobManagerSpec} from './jobmanager.ts'
export {taskManagerProcessSpec, taskManagerResourceParams, type TaskManagerSpec} from './taskmanager.ts'
