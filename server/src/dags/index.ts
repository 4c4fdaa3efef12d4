/**
 * DAG folder discovery, loading, validation and serialization.
 * @packageDocumentation
 */
export { DagRegistry } from "./dagRegistry";
export type { DagRegistryOptions } from "./dagRegistry";
export { loadDagFolder, listDagFiles, isDagFileName, assertDagFolder, DagFolderError } from "./dagFolder";
export type { DagFolderSnapshot } from "./dagFolder";
export { loadDagFile } from "./loadDagFile";
export type { LoadedDag, DagImportError, DagFileResult, LoadDagFileOptions } from "./loadDagFile";
export { serializeDag, versionHash, stableStringify, paramsJsonSchema, TASK_OPTION_DEFAULTS, DAG_OPTION_DEFAULTS } from "./serializeDag";
export { validateDag, formatProblems, isZodSchema } from "./validateDag";
export type { DagValidation, ScheduleCompiler } from "./validateDag";
export { describeLoadError } from "./describeLoadError";
export type { SerializedDag, SerializedTask } from "../model/graph";
