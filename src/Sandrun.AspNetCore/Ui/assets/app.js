// Sandrun's web UI: submit code and files, watch the output live, see the result, its outputs and its receipt.
// Everything a job produced is shown with textContent, never as HTML.
import { tarGz } from './targz.js';
import { verifyReceipt } from './receipt.js';

const api = new URL('../', location.href);
const $ = id => document.getElementById(id);

const entrypoints = { python3: 'main.py', node: 'index.js', bash: 'run.sh', sh: 'run.sh', ruby: 'main.rb', Rscript: 'main.R', perl: 'main.pl' };
const samples = {
  python3: "import platform\nprint('hello from Python', platform.python_version())\n",
  node: "console.log('hello from Node', process.version);\n",
  bash: 'echo "hello from bash $BASH_VERSION"\n',
  sh: 'echo "hello from sh"\n',
  ruby: 'puts "hello from Ruby #{RUBY_VERSION}"\n',
  Rscript: 'cat("hello from R", R.version$minor, "\\n")\n',
  perl: 'print "hello from Perl $^V\\n";\n',
};

let uploads = [];
let currentJob = null;
let countdown = null;
let coolingDown = false;

function set(id, text) {
  $(id).textContent = text ?? '—';
}

function showError(text) {
  const error = $('error');
  error.textContent = text;
  error.hidden = !text;
}

function size(bytes) {
  if (bytes == null) return '—';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function loadLanguages() {
  const select = $('language');
  let runtimes = [];
  try {
    const response = await fetch(new URL('runtimes', api));
    if (response.ok) {
      runtimes = (await response.json()).map(r => ({ interpreter: r.interpreter, label: `${r.language} ${r.version}` }));
    } else {
      const environments = await (await fetch(new URL('environments', api))).json();
      runtimes = environments.interpreters.map(i => ({ interpreter: i, label: i }));
    }
  } catch (e) {
    showError(`Cannot reach the server: ${e.message}`);
  }

  for (const runtime of runtimes) {
    const option = document.createElement('option');
    option.value = runtime.interpreter;
    option.textContent = runtime.label;
    select.append(option);
  }

  select.addEventListener('change', () => {
    if (!$('code').value.trim() || Object.values(samples).includes($('code').value)) {
      $('code').value = samples[select.value] ?? '';
    }
  });
  $('code').value = samples[select.value] ?? '';
}

function addFiles(fileList, fromFolder) {
  for (const file of fileList) {
    // A folder's files are relative to the folder itself: its contents become the job's directory.
    const name = fromFolder && file.webkitRelativePath ? file.webkitRelativePath.split('/').slice(1).join('/') : file.name;
    uploads = uploads.filter(u => u.name !== name);
    uploads.push({ name, data: file });
  }

  const list = $('file-list');
  list.replaceChildren(...uploads.map(u => {
    const item = document.createElement('li');
    item.textContent = `${u.name} (${size(u.data.size)})`;
    return item;
  }));
}

function manifest() {
  const m = {};
  const code = $('code').value;
  const interpreter = $('language').value;
  if (code.trim()) {
    m.entrypoint = entrypoints[interpreter] ?? 'main';
    m.interpreter = interpreter;
  } else if (interpreter && uploads.length === 0) {
    throw new Error('Write some code or add files to run.');
  }

  const args = $('args').value.split('\n').filter(a => a.length > 0);
  if (args.length > 0) m.args = args;
  if ($('stdin').value) m.stdin = $('stdin').value;
  if ($('timeout').value) m.timeout = Number($('timeout').value);
  if ($('memory').value) m.memory_mb = Number($('memory').value);
  return m;
}

function resetResult() {
  showError('');
  $('output').replaceChildren();
  $('outputs').replaceChildren();
  $('download-all').hidden = true;
  $('receipt').textContent = '';
  $('receipt-state').textContent = '—';
  $('receipt-state').className = '';
  for (const id of ['job-id', 'status', 'exit', 'cpu', 'memory-peak', 'wall']) set(id, '—');
}

function appendOutput(text, stream) {
  const output = $('output');
  const span = document.createElement('span');
  if (stream === 'stderr') span.className = 'stderr';
  span.textContent = text;
  output.append(span);
  output.scrollTop = output.scrollHeight;
}

function startCountdown(seconds) {
  const run = $('run');
  clearInterval(countdown);
  let left = Math.max(1, Math.ceil(seconds));
  coolingDown = true;
  run.disabled = true;
  const tick = () => {
    if (left <= 0) {
      clearInterval(countdown);
      coolingDown = false;
      run.disabled = false;
      showError('');
      return;
    }

    showError(`Too many jobs from your address: you can run again in ${left} s.`);
    left--;
  };
  tick();
  countdown = setInterval(tick, 1000);
}

async function submit(event) {
  event.preventDefault();
  resetResult();
  let m;
  try {
    m = manifest();
  } catch (e) {
    showError(e.message);
    return;
  }

  const run = $('run');
  run.disabled = true;
  try {
    const entries = [...uploads];
    if (m.entrypoint) {
      entries.push({ name: m.entrypoint, data: new TextEncoder().encode($('code').value) });
    }

    const form = new FormData();
    form.append('files', await tarGz(entries), 'job.tar.gz');
    if (Object.keys(m).length > 0) form.append('manifest', JSON.stringify(m));
    set('status', 'uploading');
    const response = await fetch(new URL('submit', api), { method: 'POST', body: form });
    const body = await response.json().catch(() => ({}));
    if (response.status === 429) {
      set('status', '—');
      startCountdown(Number(response.headers.get('Retry-After')) || body.retry_after || 60);
      return;
    }

    if (!response.ok) {
      set('status', '—');
      showError(`${response.status}: ${body.error ?? response.statusText}${body.details ? ` — ${body.details}` : ''}`);
      return;
    }

    currentJob = body.job_id;
    set('job-id', currentJob);
    set('status', body.status);
    await follow(currentJob);
  } catch (e) {
    showError(`The request failed: ${e.message}`);
  } finally {
    if (!coolingDown) run.disabled = false;
  }
}

function follow(jobId) {
  return new Promise(resolve => {
    const url = new URL(`logs/${encodeURIComponent(jobId)}/stream?format=json`, api);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    socket.onmessage = async message => {
      const frame = JSON.parse(message.data);
      if (frame.type === 'stdout' || frame.type === 'stderr') {
        set('status', 'running');
        appendOutput(frame.data, frame.type);
      } else if (frame.type === 'status') {
        set('status', frame.data);
      } else if (frame.type === 'error') {
        showError(frame.data);
      } else if (frame.type === 'done') {
        await finish(jobId);
        resolve();
      }
    };
    socket.onerror = () => showError('The output stream failed; the job goes on: reload its status later.');
    socket.onclose = () => resolve();
  });
}

async function finish(jobId) {
  const status = await (await fetch(new URL(`status/${encodeURIComponent(jobId)}`, api))).json();
  const m = status.execution_metadata || {};
  set('status', status.failure_reason ? `${status.status} (${status.failure_reason})` : status.status);
  set('exit', m.signal != null ? `signal ${m.signal}` : m.exit_code);
  set('cpu', m.cpu_seconds != null ? `${m.cpu_seconds.toFixed(3)} s` : null);
  set('memory-peak', size(m.memory_peak_bytes));
  set('wall', m.wall_time_ms != null ? `${m.wall_time_ms} ms` : null);
  if (status.error) showError(status.error);

  const outputs = $('outputs');
  for (const [path, file] of Object.entries(status.output_files || {})) {
    const item = document.createElement('li');
    const link = document.createElement('a');
    link.href = new URL(`download/${encodeURIComponent(jobId)}/${path.split('/').map(encodeURIComponent).join('/')}`, api).href;
    link.download = path.split('/').pop();
    link.textContent = path;
    item.append(link, ` ${size(file.size_bytes)} · sha256 ${file.sha256_hash.slice(0, 16)}…`);
    outputs.append(item);
  }

  $('download-all').hidden = outputs.children.length === 0;
  $('receipt').textContent = status.worker_metadata?.receipt ?? '';
  const verdict = await verifyReceipt(status);
  const state = $('receipt-state');
  state.textContent = verdict.text;
  state.className = verdict.state === 'verified' ? 'verified' : verdict.state === 'invalid' ? 'unverified' : '';
}

function downloadAll() {
  if (!currentJob || !confirm('Download all outputs as one .tar.gz? The server deletes the job after a complete download.')) return;
  const link = document.createElement('a');
  link.href = new URL(`download/${encodeURIComponent(currentJob)}`, api).href;
  link.download = `${currentJob}.tar.gz`;
  document.body.append(link);
  link.click();
  link.remove();
}

$('job').addEventListener('submit', submit);
$('files').addEventListener('change', e => addFiles(e.target.files, false));
$('folder').addEventListener('change', e => addFiles(e.target.files, true));
$('download-all').addEventListener('click', downloadAll);
loadLanguages();
