using System.Net;
using AdminPortal.Tests.E2E;

namespace AdminPortal.Tests.Auth;

/// <summary>The sign-in and no-access pages explain each reason, and treat the reason in the URL as untrusted.</summary>
public class SignInMessagesTests(PortalServer server) : IClassFixture<PortalServer>
{
    private async Task<string> GetAsync(string path)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.BaseUrl) };
        var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/signin?reason=Cancelled", "You cancelled the sign-in.")]
    [InlineData("/signin?reason=Failed", "The provider could not complete the sign-in.")]
    [InlineData("/signin?reason=ProviderUnavailable", "cannot be reached or is misconfigured")]
    [InlineData("/no-access?reason=EmailNotVerified", "has not verified your email address")]
    [InlineData("/no-access?reason=UnknownUser", "the portal has no account for you")]
    public async Task Page_KnownReason_ShowsItsOwnMessage(string path, string message)
    {
        Assert.Contains(message, await GetAsync(path));
    }

    [Theory]
    [InlineData("/signin?reason=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "The sign-in did not complete.", "alert(1)")]
    [InlineData("/signin?reason=cancelled", "The sign-in did not complete.", "You cancelled")]
    [InlineData("/no-access?reason=3", "You are not authorized to see that page.", "deactivated")]
    [InlineData("/no-access?reason=Locked,%20Inactive", "You are not authorized to see that page.", "locked")]
    [InlineData("/no-access?reason=TotallyMadeUp", "You are not authorized to see that page.", "TotallyMadeUp")]
    public async Task Page_TamperedReason_FallsBackToAGenericMessage(string path, string generic, string absent)
    {
        string html = await GetAsync(path);

        Assert.Contains(generic, html);
        Assert.DoesNotContain(absent, html);
    }
}
