using System.Net;
using System.Reflection;
using AdminPortal.Tests.E2E;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AdminPortal.Tests.Auth;

/// <summary>Every routable page, found by reflection, sends an anonymous visitor to sign-in (unless it is a sign-in page).</summary>
public class RoutesTests(PortalServer server) : IClassFixture<PortalServer>
{
    public static TheoryData<string, bool> Routes()
    {
        var data = new TheoryData<string, bool>();
        foreach (var page in typeof(Program).Assembly.GetTypes().Where(t => typeof(IComponent).IsAssignableFrom(t)))
        {
            bool anonymous = page.GetCustomAttribute<AllowAnonymousAttribute>() is not null;
            foreach (var route in page.GetCustomAttributes<RouteAttribute>())
            {
                data.Add(route.Template, anonymous);
            }
        }

        return data;
    }

    [Fact]
    public void Routes_Reflection_FindsThePages()
    {
        Assert.Contains(Routes(), row => (string)row[0] == "/" && !(bool)row[1]);
        Assert.Contains(Routes(), row => (string)row[0] == "/signin" && (bool)row[1]);
    }

    [Theory, MemberData(nameof(Routes))]
    public async Task Get_Anonymous_RedirectsToSignInUnlessThePageIsPublic(string route, bool anonymous)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.BaseUrl) };

        var response = await client.GetAsync(route);

        if (anonymous)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith($"{server.BaseUrl}/signin?returnUrl=", response.Headers.Location!.ToString());
        }
    }
}
