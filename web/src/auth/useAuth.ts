import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, fetchJson, postJson } from "../api/fetchJson";
import type { CurrentUser, LoginRequest } from "../api/types";

/**
 * Who is logged in. `data` is null when the server has no auth endpoints (404: an older server);
 * a 401 is an error with status 401.
 */
export function useCurrentUser() {
  return useQuery({
    queryKey: ["auth", "me"],
    queryFn: async ({ signal }): Promise<CurrentUser | null> => {
      try {
        return await fetchJson<CurrentUser>("/api/auth/me", { signal });
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null;
        throw err;
      }
    },
    staleTime: 60_000,
  });
}

export function useLogin() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: LoginRequest) => postJson<unknown>("/api/auth/login", body),
    onSuccess: () => client.invalidateQueries(),
  });
}

export function useLogout() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => postJson<unknown>("/api/auth/logout"),
    onSuccess: () => client.clear(),
  });
}
