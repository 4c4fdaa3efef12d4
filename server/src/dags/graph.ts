// Moved to src/model/graph.ts (the shared vocabulary); kept so older imports resolve.
export type * from "../model/graph";
