// Checks a job's signed receipt (SPEC.md §6) in the browser with WebCrypto's Ed25519, trusting nothing the server
// says about it: the signature over the exact receipt text, the key named inside it, and that the status shown is
// the one signed.

function base64(text) {
  return Uint8Array.from(atob(text), c => c.charCodeAt(0));
}

/** Resolves to { state: 'verified' | 'invalid' | 'none' | 'unsupported', text }. */
export async function verifyReceipt(status) {
  const m = status.worker_metadata || {};
  if (!m.receipt || !m.signature || !m.worker_id) {
    return { state: 'none', text: 'No receipt: this worker is anonymous (it has no signing key), or the job has not finished.' };
  }

  let key;
  try {
    key = await crypto.subtle.importKey('raw', base64(m.worker_id), { name: 'Ed25519' }, false, ['verify']);
  } catch (e) {
    if (e && e.name === 'NotSupportedError') {
      return { state: 'unsupported', text: 'This browser cannot check Ed25519 signatures; check it with: sandrun verify ' + status.job_id };
    }

    return { state: 'invalid', text: 'The worker id is not an Ed25519 public key.' };
  }

  let valid;
  try {
    valid = await crypto.subtle.verify({ name: 'Ed25519' }, key, base64(m.signature), new TextEncoder().encode(m.receipt));
  } catch {
    valid = false;
  }

  if (!valid) {
    return { state: 'invalid', text: 'The signature does not match the receipt and the worker id.' };
  }

  const signed = JSON.parse(m.receipt);
  const shown = status.execution_metadata || {};
  const mismatches = [];
  if (signed.worker_id !== m.worker_id) mismatches.push('worker_id');
  if (signed.status !== status.status) mismatches.push('status');
  if ((signed.exit_code ?? null) !== (shown.exit_code ?? null)) mismatches.push('exit_code');
  if ((signed.failure_reason ?? null) !== (status.failure_reason ?? null)) mismatches.push('failure_reason');
  if (signed.job_hash !== status.job_hash) mismatches.push('job_hash');
  if (mismatches.length > 0) {
    return { state: 'invalid', text: 'Validly signed, but the status shown differs from the receipt in: ' + mismatches.join(', ') };
  }

  return { state: 'verified', text: `Verified: signed by worker ${m.worker_id} at ${signed.completed_at}.` };
}
