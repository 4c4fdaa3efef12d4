import { useState, type FormEvent } from "react";
import { navigate } from "../router";
import { useLogin } from "./useAuth";

/** Username and password; on success, back to where the user was going. */
export function LoginPage({ next }: { next: string }) {
  const login = useLogin();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    login.mutate({ username, password }, { onSuccess: () => navigate(next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true }) });
  };
  return (
    <main className="login-page">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand login-brand">
          <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="7" />
            <path d="M6 21c4 0 4-10 8-10s4 10 8 10 4-6 4-6" />
          </svg>
          <span className="brand-name">Runnel</span>
        </div>
        <h1 id="login-title" className="login-title">
          Log in
        </h1>
        {login.error && (
          <p role="alert" className="banner banner-error small">
            {login.error.message}
          </p>
        )}
        <div className="field">
          <label htmlFor="login-username">Username</label>
          <input id="login-username" name="username" autoComplete="username" required autoFocus value={username} onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input id="login-password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </div>
        <button type="submit" className="button button-primary button-block" disabled={login.isPending}>
          {login.isPending ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
