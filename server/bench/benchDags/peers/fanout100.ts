/** Bench DAG (peers phase): 100 parallel no-op tasks + a join. */
import { wideDag } from "./_wide";

export default wideDag(100);
