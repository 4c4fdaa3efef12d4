import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "./fetchJson";

/** Retries network and 5xx failures twice; a 4xx answer will not change by asking again. */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 2_000,
      retry: (count, err) => !(err instanceof ApiError && err.status < 500) && count < 2,
    },
  },
});
