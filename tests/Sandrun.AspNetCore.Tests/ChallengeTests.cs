using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Sandrun.Abstractions;
using Sandrun.Receipts;

namespace Sandrun.AspNetCore.Tests;

/// <summary>The worker's answer to the pool's identity challenge on <c>GET /health</c> (SPEC.md §7).</summary>
public sealed class ChallengeTests
{
    [Fact]
    public async Task A_keyed_worker_signs_the_challenge_and_node_verifies_it_an_anonymous_one_does_not_answer()
    {
        using var signer = Ed25519Signer.Generate();
        await using (var server = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-challenge", services: s => s.AddSingleton<IResultSigner>(signer)))
        {
            var challenge = WorkerChallenge.Create();
            var signature = await AnswerAsync(server, challenge);
            Assert.NotNull(signature);
            Assert.True(WorkerChallenge.Verify(challenge, signature, signer.WorkerId!));

            // An independent Ed25519 implementation accepts it over "sandrun-challenge-v1\n" + the nonce's bytes.
            Assert.Equal("true", await NodeAsync("""
                const [nonce, sig, key] = process.argv.slice(1);
                const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(key, 'base64')]);
                const pub = require('crypto').createPublicKey({ key: spki, format: 'der', type: 'spki' });
                const msg = Buffer.concat([Buffer.from('sandrun-challenge-v1\n', 'ascii'), Buffer.from(nonce, 'base64')]);
                console.log(require('crypto').verify(null, msg, pub, Buffer.from(sig, 'base64')));
                """, challenge, signature!, signer.WorkerId!));

            // The answer is bound to this nonce and this key.
            Assert.False(WorkerChallenge.Verify(WorkerChallenge.Create(), signature, signer.WorkerId!));
            using var other = Ed25519Signer.Generate();
            Assert.False(WorkerChallenge.Verify(challenge, signature, other.WorkerId!));

            // Malformed challenges get no answer (and no error): not Base64, the wrong length, absent.
            Assert.Null(await AnswerAsync(server, "not base64!"));
            Assert.Null(await AnswerAsync(server, Convert.ToBase64String(new byte[16])));
            Assert.Null(await AnswerAsync(server, null));
        }

        await using var anonymous = await TestServer.StartAsync(stateDirectory: "/run/sandrun-http-challenge");
        Assert.Null(await AnswerAsync(anonymous, WorkerChallenge.Create()));
    }

    private static async Task<string?> AnswerAsync(TestServer server, string? challenge)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        if (challenge is not null)
        {
            request.Headers.TryAddWithoutValidation(SandrunChallengeHeaders.Challenge, challenge);
        }

        using var response = await server.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return response.Headers.TryGetValues(SandrunChallengeHeaders.Signature, out var values) ? values.Single() : null;
    }

    private static async Task<string> NodeAsync(string script, params string[] args)
    {
        using var node = Process.Start(new ProcessStartInfo("node", ["-e", script, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await node.StandardOutput.ReadToEndAsync();
        var error = await node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync();
        Assert.True(node.ExitCode == 0, error);
        return output.Trim();
    }
}
