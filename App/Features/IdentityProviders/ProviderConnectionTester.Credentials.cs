using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace AdminPortal.App.Features.IdentityProviders;

/// <summary>The client id and secret the sign-in handler sends to the provider. The secret never reaches a log or a check's text.</summary>
public sealed record ProviderClientCredentials(string ClientId, string? ClientSecret)
{
    public override string ToString() => $"client {ClientId} ({(string.IsNullOrEmpty(ClientSecret) ? "no secret" : "secret hidden")})";
}

public sealed partial class ProviderConnectionTester
{
    public const string ClientCredentialsCheck = "Client id and secret";

    public const string RefusedCredentialsMessage = "The provider refused the client id or secret.";

    /// <summary>
    /// Proves the client id and secret with a request that the provider must authenticate, and that signs nobody in:
    /// a pushed authorization request (RFC 9126) where the provider advertises one, otherwise a token request for an
    /// authorization code that cannot exist. RFC 6749 (5.2) reserves <c>invalid_client</c> for failed client
    /// authentication; any other refusal of the made-up request means the client was authenticated first.
    /// </summary>
    /// <remarks>
    /// The secret goes in the form body (client_secret_post), as ASP.NET's OpenID Connect handler and MSAL send it when
    /// they redeem a code. No grant is asked for that the client may not hold (client_credentials would be refused by a
    /// provider that allows only the code flow, whatever the secret), and no token is ever issued.
    /// </remarks>
    private static async Task<ConnectionCheck> CheckClientCredentialsAsync(
        HttpClient client, JsonElement discovery, ProviderClientCredentials credentials, string redirectUri, bool isDevelopment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        bool hasSecret = !string.IsNullOrEmpty(credentials.ClientSecret);
        if (string.IsNullOrWhiteSpace(credentials.ClientId))
        {
            return Failed(ClientCredentialsCheck, "No client id is set.", "Enter the client id the provider gave this application.");
        }

        if (hasSecret && discovery.TryGetProperty("token_endpoint_auth_methods_supported", out var methods) && methods.ValueKind == JsonValueKind.Array
            && !methods.EnumerateArray().Any(m => m.ValueKind == JsonValueKind.String && m.GetString() == "client_secret_post"))
        {
            return Failed(ClientCredentialsCheck, "The provider does not accept client_secret_post, the way the portal sends the client secret.",
                "Allow the client_secret_post authentication method for this client at the provider.");
        }

        bool pushed = EndpointProblem(discovery, "pushed_authorization_request_endpoint", isDevelopment, out var parUri) is null;
        Uri? endpoint = parUri;
        if (!pushed && EndpointProblem(discovery, "token_endpoint", isDevelopment, out endpoint) is not null)
        {
            return Failed(ClientCredentialsCheck, "Not checked: the provider publishes no usable token endpoint.", "Fix the token endpoint first.");
        }

        var form = new Dictionary<string, string> { ["client_id"] = credentials.ClientId.Trim() };
        if (hasSecret)
        {
            form["client_secret"] = credentials.ClientSecret!;
        }

        if (pushed)
        {
            // Shaped like the sign-in handler's own authorization request, so that only the credentials can be wrong.
            form["response_type"] = "code";
            form["redirect_uri"] = redirectUri;
            form["scope"] = "openid";
            form["code_challenge"] = WebEncoders.Base64UrlEncode(SHA256.HashData(RandomNumberGenerator.GetBytes(32)));
            form["code_challenge_method"] = "S256";
            form["state"] = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
            form["nonce"] = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
        }
        else
        {
            form["grant_type"] = "authorization_code";
            form["code"] = "adminportal-connection-test-" + WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(16));
            form["redirect_uri"] = redirectUri;
            form["code_verifier"] = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        }

        string how = pushed ? "a pushed authorization request" : "a token request with a made-up authorization code";
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) };
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutSource.Token);
            string? error = await ProtocolErrorAsync(response, timeoutSource.Token);
            string who = $"client {credentials.ClientId.Trim()}";
            if (error is "invalid_client" || response.StatusCode == HttpStatusCode.Unauthorized)
            {
                return Failed(ClientCredentialsCheck, $"{RefusedCredentialsMessage} It answered {how} for {who} with {error ?? "HTTP 401"}.",
                    hasSecret
                        ? "Check the client id, then copy the client secret from the provider again and save it here (secrets expire at many providers)."
                        : "The provider requires a client secret for this client: copy it from the provider and save it here.");
            }

            if (response.IsSuccessStatusCode && pushed)
            {
                return Passed(ClientCredentialsCheck, $"The provider accepted {who} and its secret ({how}, which signs nobody in).");
            }

            if (error is not null && !response.IsSuccessStatusCode)
            {
                // Anything but invalid_client: the provider authenticated the client, then refused the made-up request.
                return Passed(ClientCredentialsCheck, $"The provider accepted {who} and its secret: it refused only the test request itself ({how}: {error}).");
            }

            return new ConnectionCheck(ClientCredentialsCheck, CheckOutcome.Info,
                $"Could not confirm the client id and secret: {how} was answered with HTTP {(int)response.StatusCode}{(error is null ? "" : " " + error)}.",
                "Sign in once through this provider to confirm them.");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failed(ClientCredentialsCheck, $"No answer within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s from {endpoint}.",
                $"Check that this server can reach {endpoint!.Authority} and that the provider is running.");
        }
        catch (Exception exception) when (exception is HttpRequestException or IOException)
        {
            return Failed(ClientCredentialsCheck, $"The request to {endpoint} failed: {exception.Message}",
                $"Check that this server can reach {endpoint!.Authority} and that the provider is running.");
        }
    }

    /// <summary>The OAuth <c>error</c> code of a JSON answer, when it is one; never its description, which a provider may fill with anything.</summary>
    private static async Task<string?> ProtocolErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var body = await ReadLimitedAsync(response.Content, cancellationToken);
        if (body is null || body.Length == 0)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && TryGetString(document.RootElement, "error", out var error) && ErrorCode().IsMatch(error)
                    ? error
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // RFC 6749 error codes are short ASCII tokens.
    [GeneratedRegex("^[a-z0-9_]{1,64}$")]
    private static partial Regex ErrorCode();
}
