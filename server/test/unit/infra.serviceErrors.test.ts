import { describe, expect, it } from "vitest";
import { isInfrastructureError } from "../../src/infra/serviceErrors";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("isInfrastructureError", () => {
  it.each([
    ["connection refused", withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED")],
    ["connection reset", withCode("read ECONNRESET", "ECONNRESET")],
    ["an AggregateError of refused addresses", Object.assign(new AggregateError([withCode("a", "ECONNREFUSED"), withCode("b", "ECONNREFUSED")]), {})],
    ["Postgres shutting down (57P01)", withCode("terminating connection due to administrator command", "57P01")],
    ["Postgres starting up (57P03)", withCode("the database system is starting up", "57P03")],
    ["a connection exception (08006)", withCode("connection failure", "08006")],
    ["pg's dropped connection", new Error("Connection terminated unexpectedly")],
    ["knex's pool timeout", Object.assign(new Error("Knex: Timeout acquiring a connection. The pool is probably full."), { name: "KnexTimeoutError" })],
    ["ioredis' closed connection", new Error("Connection is closed.")],
    ["a wrapped cause", new Error("claim failed", { cause: withCode("connect ECONNREFUSED", "ECONNREFUSED") })],
  ])("recognises %s", (_, err) => expect(isInfrastructureError(err)).toBe(true));

  it.each([
    ["a constraint violation (23505)", withCode("duplicate key value violates unique constraint", "23505")],
    ["a syntax error (42601)", withCode("syntax error at or near", "42601")],
    ["a serialization failure (40001)", withCode("could not serialize access", "40001")],
    ["a plain task error", new Error("boom")],
    ["a string", "ECONNREFUSED"],
    ["null", null],
  ])("does not take %s for an outage", (_, err) => expect(isInfrastructureError(err)).toBe(false));
});
