using System.Net;
using System.Text.RegularExpressions;

namespace AdminPortal.Tests.Security;

/// <summary>The sign-in page's email lookup is rate limited per address (RateLimits:EmailSignIn); viewing the page is not.</summary>
public partial class EmailSignInRateLimitTests(RateLimitedPortal portal) : IClassFixture<RateLimitedPortal>
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenPattern();

    [Fact]
    public async Task EmailLookup_OverTheLimit_Gets429_PageViewsAreNotCounted()
    {
        using var client = portal.ClientFrom("127.0.0.8");
        client.DefaultRequestHeaders.Add("Accept", "text/html");
        int limit = App.Security.RateLimits.Defaults[App.Security.RateLimits.EmailSignIn].PermitLimit;

        for (int i = 0; i < limit + 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/signin")).StatusCode);
        }

        var page = await client.GetAsync("/signin");
        string token = TokenPattern().Match(await page.Content.ReadAsStringAsync()).Groups[1].Value;
        string cookie = string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        async Task<HttpResponseMessage> LookUpAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/signin")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["_handler"] = "email-first",
                    ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
                    ["Email"] = "someone@unknown-organisation.example",
                }),
            };
            request.Headers.Add("Cookie", cookie);
            return await client.SendAsync(request);
        }

        for (int i = 0; i < limit; i++)
        {
            var answer = await LookUpAsync();
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Contains("find your organisation", await answer.Content.ReadAsStringAsync());
        }

        var refused = await LookUpAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/signin")).StatusCode);
        using var other = portal.ClientFrom("127.0.0.9");
        Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/signin")).StatusCode);
    }
}
