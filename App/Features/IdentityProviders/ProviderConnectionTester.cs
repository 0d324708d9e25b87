using System.Globalization;
using System.Net;
using System.Text.Json;

namespace AdminPortal.App.Features.IdentityProviders;

public enum CheckOutcome
{
    Passed,
    Failed,
    Info,
}

/// <summary>One line of a connection test.</summary>
/// <param name="Name">A short label: "Authority address", "Discovery document", "Issuer", "Authorization endpoint", "Token endpoint", "Signing keys (JWKS)", "Client id and secret" or "Redirect URI".</param>
/// <param name="Fix">For a failed line, a sentence telling an admin what to change; null for a passed line.</param>
public sealed record ConnectionCheck(string Name, CheckOutcome Outcome, string Detail, string? Fix);

public sealed record ConnectionTestResult(IReadOnlyList<ConnectionCheck> Checks, string RedirectUri)
{
    public bool Passed => Checks.All(c => c.Outcome != CheckOutcome.Failed);
}

/// <summary>
/// The "Test connection" button of an identity provider: reads its OpenID discovery document and signing keys the
/// way the sign-in handler will, and explains each problem in plain language with what to change. Network and
/// JSON problems never throw; each becomes a failed line. Only the caller's cancellation throws.
/// </summary>
public sealed partial class ProviderConnectionTester(IHttpClientFactory httpClients, IHostEnvironment environment, IConfiguration configuration)
{
    public const string HttpClientName = "identity-provider-connection-test";

    private const string AuthorityCheck = "Authority address";
    private const string DiscoveryCheck = "Discovery document";
    private const string IssuerCheck = "Issuer";
    private const string AuthorizationCheck = "Authorization endpoint";
    private const string TokenCheck = "Token endpoint";
    private const string SigningKeysCheck = "Signing keys (JWKS)";
    private const string RedirectUriCheck = "Redirect URI";

    /// <summary>A discovery document or key set is a few KiB; anything this big is not one.</summary>
    private const int MaxBodyBytes = 1024 * 1024;

    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <param name="credentials">The client id and secret the sign-in handler sends; null skips the credential check.</param>
    public async Task<ConnectionTestResult> TestAsync(CiamProviderType type, string authority, string redirectUri, CancellationToken cancellationToken = default, ProviderClientCredentials? credentials = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var checks = new List<ConnectionCheck>();
        await RunChecksAsync(checks, type, authority, redirectUri, credentials, cancellationToken);
        checks.Add(new ConnectionCheck(RedirectUriCheck, CheckOutcome.Info, redirectUri, "Register this redirect URI with the provider (copy it exactly)."));
        return new ConnectionTestResult(checks, redirectUri);
    }

    /// <summary>true when the URI is https, or http to a loopback host (127.0.0.0/8, ::1, "localhost") and the environment is Development.</summary>
    public static bool IsAcceptableEndpoint(Uri uri, bool isDevelopment)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.IsAbsoluteUri)
        {
            return false;
        }

        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return true;
        }

        // DnsSafeHost drops the brackets of an IPv6 literal, which IPAddress.TryParse would not take.
        bool loopback = string.Equals(uri.Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));
        return isDevelopment && uri.Scheme == Uri.UriSchemeHttp && loopback;
    }

    /// <summary>Adds the lines in order, and stops at a failure that the remaining lines depend on.</summary>
    private async Task RunChecksAsync(List<ConnectionCheck> checks, CiamProviderType type, string authority, string redirectUri, ProviderClientCredentials? credentials, CancellationToken cancellationToken)
    {
        bool isDevelopment = environment.IsDevelopment();
        checks.Add(CheckAuthority(authority, isDevelopment, out var authorityUri));
        if (authorityUri is null)
        {
            return;
        }

        var client = httpClients.CreateClient(HttpClientName);
        var timeout = RequestTimeout(client);
        var discoveryUri = new Uri(authorityUri.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration");
        var (discovery, discoveryCheck) = await FetchJsonAsync(client, discoveryUri, DiscoveryCheck,
            $"Check the authority: the provider must publish its discovery document at {discoveryUri}", timeout, cancellationToken);
        checks.Add(discoveryCheck);
        if (discovery is null)
        {
            return;
        }

        using (discovery)
        {
            var root = discovery.RootElement;
            checks.Add(CheckIssuer(type, root, authority.Trim(), authorityUri));
            checks.Add(CheckEndpoint(AuthorizationCheck, root, "authorization_endpoint", isDevelopment));
            checks.Add(CheckEndpoint(TokenCheck, root, "token_endpoint", isDevelopment));
            checks.Add(await CheckSigningKeysAsync(client, root, isDevelopment, timeout, cancellationToken));
            if (credentials is not null)
            {
                checks.Add(await CheckClientCredentialsAsync(client, root, credentials, redirectUri, isDevelopment, timeout, cancellationToken));
            }
        }
    }

    private static ConnectionCheck CheckAuthority(string authority, bool isDevelopment, out Uri? authorityUri)
    {
        authorityUri = null;
        // A query or fragment would end up in the middle of the discovery document's address.
        if (!Uri.TryCreate(authority?.Trim(), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            return Failed(AuthorityCheck, $"'{authority}' is not an absolute http(s) address.",
                "Enter the provider's authority as a full address without query or fragment, such as https://login.example.com/my-tenant");
        }

        if (!IsAcceptableEndpoint(uri, isDevelopment))
        {
            return Failed(AuthorityCheck, $"{uri.OriginalString} uses plain http; https is required (http is accepted only for a provider on this machine in Development).",
                "Use the provider's https address.");
        }

        authorityUri = uri;
        return Passed(AuthorityCheck, uri.OriginalString);
    }

    internal static ConnectionCheck CheckIssuer(CiamProviderType type, JsonElement discovery, string authority, Uri authorityUri)
    {
        if (!TryGetString(discovery, "issuer", out var issuer))
        {
            return Failed(IssuerCheck, "The discovery document names no issuer.",
                "Check that the authority is the address of an OpenID Connect provider; its discovery document must name an issuer.");
        }

        // Multi-tenant Entra ID (…/common/v2.0, …/organizations/v2.0) publishes a template; each token names its own tenant.
        if (type == CiamProviderType.EntraId
            && issuer.Contains("{tenantid}", StringComparison.OrdinalIgnoreCase)
            && ProviderSchemeDefinitions.IsMultiTenantEntra(authorityUri.OriginalString))
        {
            return Passed(IssuerCheck, $"{issuer} is Entra ID's multi-tenant template: each token carries the user's own tenant in place of {{tenantid}}.");
        }

        if (Uri.TryCreate(issuer, UriKind.Absolute, out var issuerUri) && SameAddress(issuerUri, authorityUri))
        {
            return Passed(IssuerCheck, $"{issuer} matches the authority.");
        }

        // Entra External ID answers on https://<tenant>.ciamlogin.com/<tenant id>/v2.0 but names its issuer by tenant id
        // (https://<tenant id>.ciamlogin.com/<tenant id>/v2.0); the sign-in handler validates tokens against it.
        if (type == CiamProviderType.EntraExternalId
            && issuerUri is not null
            && issuerUri.Scheme == Uri.UriSchemeHttps && authorityUri.Scheme == Uri.UriSchemeHttps
            && issuerUri.Host.EndsWith(".ciamlogin.com", StringComparison.OrdinalIgnoreCase)
            && authorityUri.Host.EndsWith(".ciamlogin.com", StringComparison.OrdinalIgnoreCase)
            && string.Equals(issuerUri.AbsolutePath.TrimEnd('/'), authorityUri.AbsolutePath.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
        {
            return Passed(IssuerCheck, $"{issuer} is the tenant-id form of the authority, as Entra External ID publishes it.");
        }

        return Failed(IssuerCheck, $"The provider's issuer is {issuer}, but the authority is {authority}.",
            $"Set the authority to the issuer the provider publishes: {issuer}");
    }

    /// <summary>Scheme and host compare case-insensitively, the path case-sensitively, and a trailing slash does not count.</summary>
    private static bool SameAddress(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0
        && string.Equals(a.AbsolutePath.TrimEnd('/'), b.AbsolutePath.TrimEnd('/'), StringComparison.Ordinal)
        && string.Equals(a.Query, b.Query, StringComparison.Ordinal);

    private static ConnectionCheck CheckEndpoint(string name, JsonElement discovery, string property, bool isDevelopment) =>
        EndpointProblem(discovery, property, isDevelopment, out var uri) is { } problem
            ? Failed(name, problem.Detail, problem.Fix)
            : Passed(name, uri!.OriginalString);

    /// <returns>null when the discovery document publishes <paramref name="property"/> as an acceptable address.</returns>
    private static (string Detail, string Fix)? EndpointProblem(JsonElement discovery, string property, bool isDevelopment, out Uri? uri)
    {
        uri = null;
        if (!TryGetString(discovery, property, out var value))
        {
            return ($"The discovery document has no {property}.",
                $"Check the provider's configuration: an OpenID Connect provider must publish {property} in its discovery document.");
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var parsed))
        {
            return ($"The {property} '{value}' is not an absolute address.",
                "Check the provider's configuration: its discovery document must publish full https addresses.");
        }

        if (!IsAcceptableEndpoint(parsed, isDevelopment))
        {
            return ($"The {property} {value} does not use https.",
                "Configure the provider to publish https addresses (plain http is accepted only for a provider on this machine in Development).");
        }

        uri = parsed;
        return null;
    }

    private async Task<ConnectionCheck> CheckSigningKeysAsync(HttpClient client, JsonElement discovery, bool isDevelopment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (EndpointProblem(discovery, "jwks_uri", isDevelopment, out var jwksUri) is { } problem)
        {
            return Failed(SigningKeysCheck, problem.Detail + " Without signing keys no token can be verified.", problem.Fix);
        }

        const string keySetFix = "Check the provider's signing keys: its jwks_uri must serve a JSON Web Key Set ({\"keys\": [...]}).";
        var (keySet, fetchCheck) = await FetchJsonAsync(client, jwksUri!, SigningKeysCheck, keySetFix, timeout, cancellationToken);
        if (keySet is null)
        {
            return fetchCheck;
        }

        using (keySet)
        {
            if (!keySet.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                return Failed(SigningKeysCheck, $"The answer from {jwksUri} has no \"keys\" array.", keySetFix);
            }

            int count = keys.GetArrayLength();
            return count == 0
                ? Failed(SigningKeysCheck, $"The key set at {jwksUri} is empty, so no token can be verified.",
                    "Create or activate a signing key at the provider, so that its key set lists at least one key.")
                : Passed(SigningKeysCheck, $"{count} {(count == 1 ? "key" : "keys")} at {jwksUri}.");
        }
    }

    /// <summary>
    /// GETs a JSON object within <paramref name="timeout"/>. Returns the document (the caller disposes it) and a passed
    /// line, or no document and a failed line named <paramref name="checkName"/>.
    /// </summary>
    /// <param name="wrongContentFix">The fix when the address answers, but not with the expected document.</param>
    private static async Task<(JsonDocument? Document, ConnectionCheck Check)> FetchJsonAsync(
        HttpClient client, Uri uri, string checkName, string wrongContentFix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        string unreachableFix = $"Check that this server can reach {uri.Authority} (address, DNS, firewall, proxy) and that the provider is running.";
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            // Headers only: the body is read below, with a size limit.
            using var response = await client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token);
            if (!response.IsSuccessStatusCode)
            {
                return Failure($"{uri} answered HTTP {(int)response.StatusCode} {response.ReasonPhrase}.", wrongContentFix);
            }

            using var body = await ReadLimitedAsync(response.Content, timeoutSource.Token);
            if (body is null)
            {
                return Failure($"The answer from {uri} is larger than {MaxBodyBytes / 1024 / 1024} MiB, which no such document is.", wrongContentFix);
            }

            var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                var kind = document.RootElement.ValueKind;
                document.Dispose();
                return Failure($"The answer from {uri} is JSON, but not an object (it is {kind.ToString().ToLowerInvariant()}).", wrongContentFix);
            }

            return (document, Passed(checkName, $"Read {uri}."));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The caller did not cancel, so our timeout (or the client's own) ran out.
            return Failure($"No answer within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s from {uri}.", unreachableFix);
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            string problem = exception is HttpRequestException { HttpRequestError: var error } ? error switch
            {
                HttpRequestError.NameResolutionError => $"The host name {uri.Host} could not be found (DNS).",
                HttpRequestError.ConnectionError => $"Could not connect to {uri.Authority}: {exception.Message}",
                HttpRequestError.SecureConnectionError => $"The TLS (https) connection to {uri.Authority} failed: {exception.Message}",
                _ => $"The request to {uri} failed: {exception.Message}",
            } : $"The request to {uri} failed: {exception.Message}";
            return Failure(problem, unreachableFix);
        }
        catch (JsonException)
        {
            return Failure($"The answer from {uri} is not valid JSON.", wrongContentFix);
        }

        (JsonDocument?, ConnectionCheck) Failure(string detail, string fix) => (null, Failed(checkName, detail, fix));
    }

    /// <returns>The body, or null when it is larger than <see cref="MaxBodyBytes"/>.</returns>
    private static async Task<MemoryStream?> ReadLimitedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            // Content-Length may be absent (chunked) or wrong, so count what actually arrives.
            if (body.Length + read > MaxBodyBytes)
            {
                await body.DisposeAsync();
                return null;
            }

            body.Write(buffer, 0, read);
        }

        body.Position = 0;
        return body;
    }

    private TimeSpan RequestTimeout(HttpClient client)
    {
        var configured = configuration.GetValue("IdentityProviders:ConnectionTestTimeout", DefaultTimeout);
        if (configured <= TimeSpan.Zero)
        {
            configured = DefaultTimeout;
        }

        // The client's own timeout applies too; the message names whichever is shorter. (Infinite is negative.)
        return client.Timeout > TimeSpan.Zero && client.Timeout < configured ? client.Timeout : configured;
    }

    private static bool TryGetString(JsonElement element, string property, out string value)
    {
        if (element.TryGetProperty(property, out var found) && found.ValueKind == JsonValueKind.String && found.GetString() is { Length: > 0 } text)
        {
            value = text;
            return true;
        }

        value = "";
        return false;
    }

    private static ConnectionCheck Passed(string name, string detail) => new(name, CheckOutcome.Passed, detail, null);

    private static ConnectionCheck Failed(string name, string detail, string fix) => new(name, CheckOutcome.Failed, detail, fix);
}
