// An MCP client over stdio for the E2E tests: runs `easel mcp` (newline-delimited JSON-RPC) the way
// Claude Desktop or Claude Code would, so the tests can do what an MCP client does beside the app.
import { spawn } from 'node:child_process';

export class McpStdio {
  /** Starts `command mcp` with `env` and initializes the session. */
  static async start(command, env) {
    const client = new McpStdio(spawn(command, ['mcp'], { env, stdio: ['pipe', 'pipe', 'pipe'] }));
    await client.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'easel-e2e', version: '1' },
    });
    client.notify('notifications/initialized');
    return client;
  }

  constructor(child) {
    this.child = child;
    this.next = 1;
    this.waiting = new Map();
    this.stderr = '';
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) this.#receive(JSON.parse(line));
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    child.once('exit', (code) => {
      for (const { reject } of this.waiting.values()) reject(new Error(`easel mcp exited (${code}): ${this.stderr}`));
      this.waiting.clear();
    });
  }

  #receive(message) {
    const pending = message.id !== undefined && this.waiting.get(message.id);
    if (!pending) return; // notifications (progress, list_changed)
    this.waiting.delete(message.id);
    if (message.error) pending.reject(new Error(`MCP error ${message.error.code}: ${message.error.message}`));
    else pending.resolve(message.result);
  }

  request(method, params = {}) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  }

  notify(method, params = {}) {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method, params })}\n`);
  }

  /** Calls a tool; a tool error throws. Returns the structured content, or the text of the content. */
  async call(name, args) {
    const result = await this.request('tools/call', { name, arguments: args });
    const text = (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
    if (result.isError) throw new Error(`${name} failed: ${text}`);
    return result.structuredContent ?? text;
  }

  close() {
    this.child.stdin.end();
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
  }
}
