using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace AdminPortal.Tests.Infrastructure;

/// <summary>
/// A real, independent OpenID provider for the tests: panva's <c>oidc-provider</c> from npm (App.Tests/OidcProvider),
/// run by Node on 127.0.0.1 over https. Its certificate comes from a throw-away test CA made here, which only the
/// handlers from <see cref="CreateTrustingHandler"/> trust: nothing on the machine, and nothing in the portal's own
/// code, ever trusts it.
/// </summary>
/// <remarks>
/// The port is reserved when the object is made, so the portal can be configured with <see cref="Issuer"/> before it
/// starts; the provider itself starts (<see cref="StartAsync"/>) once the portal's address, and so its redirect URIs,
/// are known.
/// </remarks>
public sealed class ThirdPartyOidcProvider : IAsyncDisposable
{
    public sealed record Client(string ClientId, string ClientSecret, IReadOnlyList<string> RedirectUris, IReadOnlyList<string> PostLogoutRedirectUris);

    /// <summary>An account of its login form (typed there as its subject), and the claims it releases.</summary>
    public sealed record Account(string Subject, string Email, bool EmailVerified, string Name, string? ObjectId = null, string? TenantId = null);

    private readonly string folder = Directory.CreateTempSubdirectory("adminportal-oidc-provider-").FullName;
    private readonly StringBuilder output = new();
    private Process? node;

    public ThirdPartyOidcProvider()
    {
        Port = FreePort();
        (CaCertificate, certificatePem, keyPem) = CreateCertificates();
    }

    public int Port { get; }

    /// <summary>The issuer, exactly as the provider publishes it (no trailing slash).</summary>
    public string Issuer => $"https://127.0.0.1:{Port}";

    public X509Certificate2 CaCertificate { get; }

    /// <summary>How long the last <see cref="StartAsync"/> took, npm ci excluded.</summary>
    public TimeSpan StartTime { get; private set; }

    /// <summary>How long npm ci took when node_modules was missing (zero when it was there).</summary>
    public TimeSpan NpmInstallTime { get; private set; }

    private readonly string certificatePem;
    private readonly string keyPem;

    public static string ScriptFolder => Path.Combine(RepositoryRoot.Path, "App.Tests", "OidcProvider");

    private IReadOnlyList<Client> startedClients = [];
    private IReadOnlyList<Account> startedAccounts = [];
    private Dictionary<string, string> signingKey = NewSigningKey();

    /// <summary>The key id the provider signs with now; changes on <see cref="RotateSigningKeysAsync"/>.</summary>
    public string SigningKeyId { get; private set; } = "";

    /// <summary>How many requests have reached the authorization endpoint (<c>/auth</c>) since the provider started.</summary>
    public int AuthorizationRequests
    {
        get
        {
            lock (output) return output.ToString().Split('\n').Count(l => l.StartsWith("authorization-request", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// The provider rotates its signing keys: it stops, and starts again on the same port, issuer and clients with a new
    /// key set. The old key is gone from its JWKS, as after a real rotation. Its sessions are gone too (they live in memory).
    /// </summary>
    public async Task RotateSigningKeysAsync()
    {
        await StopAsync();
        signingKey = NewSigningKey();
        await StartAsync(startedClients, startedAccounts);
    }

    private static Dictionary<string, string> NewSigningKey()
    {
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(includePrivateParameters: true);
        static string B(byte[]? bytes) => Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(bytes!);
        string kid = "test-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        return new Dictionary<string, string>
        {
            ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig", ["alg"] = "RS256",
            ["n"] = B(p.Modulus), ["e"] = B(p.Exponent), ["d"] = B(p.D), ["p"] = B(p.P), ["q"] = B(p.Q),
            ["dp"] = B(p.DP), ["dq"] = B(p.DQ), ["qi"] = B(p.InverseQ),
        };
    }

    public async Task StartAsync(IReadOnlyList<Client> clients, IReadOnlyList<Account> accounts)
    {
        (startedClients, startedAccounts) = (clients, accounts);
        SigningKeyId = signingKey["kid"];
        await EnsureInstalledAsync();
        var watch = Stopwatch.StartNew();
        string certFile = Path.Combine(folder, "provider.crt"), keyFile = Path.Combine(folder, "provider.key"), configFile = Path.Combine(folder, "provider.json");
        await File.WriteAllTextAsync(certFile, certificatePem);
        await File.WriteAllTextAsync(keyFile, keyPem);
        var settings = new
        {
            port = Port,
            issuer = Issuer,
            certFile,
            keyFile,
            cookieKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
            jwks = new { keys = new[] { signingKey } },
            clients = clients.Select(c => new Dictionary<string, object>
            {
                ["client_id"] = c.ClientId,
                ["client_secret"] = c.ClientSecret,
                ["redirect_uris"] = c.RedirectUris,
                ["post_logout_redirect_uris"] = c.PostLogoutRedirectUris,
                ["grant_types"] = new[] { "authorization_code" },
                ["response_types"] = new[] { "code" },
                // ASP.NET's OpenID Connect handler sends the secret in the form body.
                ["token_endpoint_auth_method"] = "client_secret_post",
            }),
            accounts = accounts.ToDictionary(a => a.Subject, a =>
            {
                var claims = new Dictionary<string, object> { ["email"] = a.Email, ["email_verified"] = a.EmailVerified, ["name"] = a.Name };
                if (a.ObjectId is not null) claims["oid"] = a.ObjectId;
                if (a.TenantId is not null) claims["tid"] = a.TenantId;
                return claims;
            }),
        };
        await File.WriteAllTextAsync(configFile, JsonSerializer.Serialize(settings));

        var start = new ProcessStartInfo("node", ["provider.mjs", configFile])
        {
            WorkingDirectory = ScriptFolder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        node = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        node.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
            if (e.Data.StartsWith("listening", StringComparison.Ordinal)) listening.TrySetResult();
        };
        node.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (output) output.AppendLine(e.Data);
        };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        var exited = node.WaitForExitAsync();
        // 2 minutes: node's start took over 30 s on a loaded machine.
        var first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromMinutes(2)));
        if (first != listening.Task)
        {
            throw new InvalidOperationException($"oidc-provider did not start:\n{Output}");
        }

        StartTime = watch.Elapsed;
    }

    /// <summary>What the provider printed (its warnings and errors): for failure messages.</summary>
    public string Output
    {
        get { lock (output) return output.ToString(); }
    }

    /// <summary>
    /// A handler for the portal's backchannel (discovery, keys, token redemption) that trusts the test CA and
    /// nothing else: the chain must end in that CA, and the name must match.
    /// </summary>
    public HttpMessageHandler CreateTrustingHandler()
    {
        var ca = CaCertificate;
        return new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return chain.Build(presented);
                },
            },
        };
    }

    /// <summary>Installs the pinned npm packages (package-lock.json) when node_modules is missing, as test.sh does.</summary>
    /// <remarks>
    /// One install at a time in the process: two test classes with this fixture start in parallel, and two concurrent
    /// <c>npm ci</c> runs in one folder fail each other (ENOTEMPTY).
    /// </remarks>
    private async Task EnsureInstalledAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            await InstallAsync();
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    private async Task InstallAsync()
    {
        if (Directory.Exists(Path.Combine(ScriptFolder, "node_modules", "oidc-provider")))
        {
            return;
        }

        var watch = Stopwatch.StartNew();
        using var npm = Process.Start(new ProcessStartInfo("npm", ["ci", "--no-audit", "--no-fund"])
        {
            WorkingDirectory = ScriptFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stderr = npm.StandardError.ReadToEndAsync();
        await npm.StandardOutput.ReadToEndAsync();
        await npm.WaitForExitAsync();
        if (npm.ExitCode != 0)
        {
            throw new InvalidOperationException($"npm ci in {ScriptFolder} failed:\n{await stderr}");
        }

        NpmInstallTime = watch.Elapsed;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static (X509Certificate2 Ca, string CertificatePem, string KeyPem) CreateCertificates()
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=AdminPortal throw-away test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var caWithKey = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddDays(1));
        // Only the public part is kept: the CA key dies with this method, so nothing else can ever be issued under it.
        var ca = X509CertificateLoader.LoadCertificate(caWithKey.RawData);

        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=127.0.0.1", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        leafRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(names.Build());
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(caWithKey, true, false));
        using var leaf = leafRequest.Create(caWithKey, now.AddHours(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));
        return (ca, leaf.ExportCertificatePem(), leafKey.ExportPkcs8PrivateKeyPem());
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        CaCertificate.Dispose();
        TempFolder.Delete(folder);
    }

    private async Task StopAsync()
    {
        if (node is { HasExited: false })
        {
            // Closing stdin asks the script to stop; the process (ours, by its handle) is killed if it does not.
            node.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await node.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                node.Kill(entireProcessTree: true);
            }
        }

        node?.Dispose();
        node = null;
    }
}
