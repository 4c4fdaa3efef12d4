/**
 * The server's state lists and sets at run time (src/model is dependency-free, so the dashboard
 * bundles the same definitions instead of copying them).
 */
export { ALERT_EVENTS, DELIVERY_STATES, OPEN_DELIVERY_STATES } from "../../../server/src/model/alerts";
export { ACTIVE_TASK_STATES, DEAD_LETTER_STATUSES, UNFINISHED_TASK_STATES, UNSETTLED_DEAD_LETTER_STATUSES } from "../../../server/src/model/states";
