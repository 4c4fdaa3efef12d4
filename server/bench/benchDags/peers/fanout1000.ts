/** Bench DAG (peers phase): 1000 parallel no-op tasks + a join. */
import { wideDag } from "./_wide";

export default wideDag(1000);
