// Drives the npm piston-client package, unchanged, against the server given as the first argument and prints one
// JSON object with what each call returned. Run by PistonTests.
import piston from "piston-client";

const client = piston({ server: process.argv[2] });
const runtimes = await client.runtimes();
const python = await client.execute("python", "import sys\nprint(sys.stdin.read().upper(), sys.argv[1:])", { stdin: "hello piston", args: ["a", "b c"] });
const javascript = await client.execute({ language: "javascript", version: "*", files: [{ name: "main.js", content: "console.log(process.argv.slice(2).join('+'))" }], args: ["1", "2"] });
const defaults = await client.execute("bash", "echo \"$@\"; exit 3");
const unknown = await client.execute({ language: "cobol", version: "1.0.0", files: [{ content: "x" }] });
console.log(JSON.stringify({ runtimes, python, javascript, defaults, unknown }));
