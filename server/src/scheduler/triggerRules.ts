// Moved to src/model/triggerRules.ts (the shared vocabulary); kept so older imports resolve.
export * from "../model/triggerRules";
