/**
 * A local stand-in for the Hugging Face Hub HTTP API, enough for @huggingface/hub's modelInfo/datasetInfo,
 * listFiles and downloadFile: `/api/{models|datasets}/<id>/revision/<rev>`, `/api/…/<id>/tree/<rev>` and
 * `[/datasets]/<id>/resolve/<rev>/<path>` with Range support. Records every request (and its Authorization header).
 */
import * as crypto from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRepo {
  type: "model" | "dataset";
  id: string;
  sha: string;
  /** path → content; paths in `lfs` are listed as LFS files (sha256 oid), others as git blobs (sha1 oid). */
  files: Record<string, string | Buffer>;
  lfs?: string[];
  /** When set, requests need `Authorization: Bearer <token>`. */
  token?: string;
  /** Serve these bytes instead of the real content (to test hash checks). */
  corrupt?: Record<string, Buffer>;
}

export interface RequestLog {
  method: string;
  url: string;
  auth?: string;
}

export function gitOid(content: Buffer): string {
  return crypto.createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

export function sha256(content: Buffer): string {
  return crypto.createHash("sha256").update(content).digest("hex");
}

export class FakeHub {
  readonly requests: RequestLog[] = [];
  private server = http.createServer((req, res) => this.handle(req, res));
  url = "";

  constructor(readonly repos: FakeRepo[]) {}

  async start(): Promise<string> {
    await new Promise<void>((ok) => this.server.listen(0, "127.0.0.1", ok));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections?.();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }

  downloads(): string[] {
    return this.requests.filter((r) => r.url.includes("/resolve/") && r.method === "GET").map((r) => r.url);
  }

  private find(type: string, id: string): FakeRepo | undefined {
    return this.repos.find((r) => r.type === type && r.id === id);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const auth = req.headers.authorization;
    this.requests.push({ method: req.method ?? "", url: req.url ?? "", auth });
    const u = new URL(req.url ?? "/", "http://x");
    const p = decodeURIComponent(u.pathname);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "Content-Type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    const notFound = () => json(404, { error: "Repository not found" }, { "X-Error-Code": "RepositoryNotFound" });
    const authorized = (r: FakeRepo) => !r.token || auth === `Bearer ${r.token}`;

    let m = /^\/api\/(models|datasets)\/([^/]+(?:\/[^/]+)?)\/revision\/(.+)$/.exec(p);
    if (m) {
      const r = this.find(m[1].slice(0, -1), m[2]);
      if (!r) return notFound();
      if (!authorized(r)) return json(401, { error: "Invalid credentials in Authorization header" });
      if (m[3] !== "main" && m[3] !== r.sha)
        return json(404, { error: `Invalid rev id: ${m[3]}` }, { "X-Error-Code": "RevisionNotFound" });
      return json(200, {
        _id: "fake",
        id: r.id,
        sha: r.sha,
        private: !!r.token,
        lastModified: "2026-01-01T00:00:00.000Z",
      });
    }
    m = /^\/api\/(models|datasets)\/([^/]+(?:\/[^/]+)?)\/tree\/([^/]+)$/.exec(p);
    if (m) {
      const r = this.find(m[1].slice(0, -1), m[2]);
      if (!r) return notFound();
      if (!authorized(r)) return json(401, { error: "Invalid credentials in Authorization header" });
      if (m[3] !== r.sha && m[3] !== "main") return json(404, { error: "Invalid rev id" });
      const dirs = new Set<string>();
      const entries: unknown[] = [];
      for (const [path, content] of Object.entries(r.files)) {
        const buf = Buffer.from(content);
        const parts = path.split("/");
        for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
        const lfs = r.lfs?.includes(path);
        entries.push({
          type: "file",
          path,
          size: lfs ? 134 : buf.length,
          oid: lfs ? crypto.randomBytes(20).toString("hex") : gitOid(buf),
          ...(lfs ? { lfs: { oid: sha256(buf), size: buf.length, pointerSize: 134 } } : {}),
        });
      }
      for (const d of dirs) entries.push({ type: "directory", path: d, size: 0, oid: "0".repeat(40) });
      return json(200, entries);
    }
    m = /^\/(datasets\/)?([^/]+(?:\/[^/]+)?)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (m) {
      const r = this.find(m[1] ? "dataset" : "model", m[2]);
      if (!r) return notFound();
      if (!authorized(r)) return json(401, { error: "Invalid credentials in Authorization header" });
      const path = m[4];
      if (m[3] !== r.sha || !(path in r.files))
        return json(404, { error: "Entry not found" }, { "X-Error-Code": "EntryNotFound" });
      const real = Buffer.from(r.files[path]);
      const body = r.corrupt?.[path] ?? real;
      const etag = r.lfs?.includes(path) ? sha256(real) : gitOid(real);
      const headers = {
        ETag: `"${etag}"`,
        "X-Repo-Commit": r.sha,
        "Content-Type": "application/octet-stream",
        "Accept-Ranges": "bytes",
      };
      const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
      if (range) {
        const start = Number(range[1]);
        const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
        res.writeHead(206, {
          ...headers,
          "Content-Range": `bytes ${start}-${end}/${body.length}`,
          "Content-Length": String(end - start + 1),
        });
        return void res.end(body.subarray(start, end + 1));
      }
      res.writeHead(200, { ...headers, "Content-Length": String(body.length) });
      return void res.end(body);
    }
    notFound();
  }
}
