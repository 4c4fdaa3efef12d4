/** Bench DAG (peers phase): 10000 parallel no-op tasks + a join. */
import { wideDag } from "./_wide";

export default wideDag(10000);
