/** The repository's example, served by the e2e stack as is. */
export { default } from "../../dags/customer_segments";
