/** The SDK's view of the shared state lists (defined in src/model, imported by DAG files through "runnel"). */
export * from "../model/states";
