using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AdminPortal.Tests.E2E;

/// <summary>
/// A users-grid page turn is one message on the circuit's WebSocket and nothing else: every HTTP request that reaches
/// the portal runs the cookie's session check (SessionValidator) and the claims transformation, which the sixth round's
/// trace found costing about 3 ms a turn (docs/performance.md).
/// </summary>
public class PageTurnBrowserTests(PortalServer server) : IClassFixture<PortalServer>
{
    [Fact]
    public async Task UsersGrid_PageTurns_SendNoHttpRequestToThePortal()
    {
        var page = await server.SignInAsync("Support · Contoso");
        await page.GotoAsync(server.BaseUrl + "/users");
        await page.Locator("[data-interactive=true]").WaitForAsync(new LocatorWaitForOptions { Timeout = 60_000 });
        await Expect(page.Locator("tr[data-user-id]")).ToHaveCountAsync(25);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
        // The first turns may load what the page had not needed yet; the ones after them must not ask for anything.
        // (The seeded tenant has two pages: forth and back.)
        await TurnAsync(page, "Next page");
        await TurnAsync(page, "Previous page");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        int port = new Uri(server.BaseUrl).Port;
        using var requests = new RequestRecorder(port);
        foreach (string button in new[] { "Next page", "Previous page", "Next page" })
        {
            await TurnAsync(page, button);
        }

        // The browser asks for a page's icon after a navigation has committed, not before the rows show.
        await page.WaitForTimeoutAsync(1500);
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.True(requests.Paths.IsEmpty, $"HTTP requests during 3 page turns: {string.Join(", ", requests.Paths)}");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("after="));
    }

    private static async Task TurnAsync(IPage page, string button)
    {
        string? first = await page.Locator("tr[data-user-id]").First.GetAttributeAsync("data-user-id");
        await page.GetByRole(AriaRole.Button, new() { Name = button }).ClickAsync();
        await Expect(page.Locator("tr[data-user-id]").First).Not.ToHaveAttributeAsync("data-user-id", first!);
    }

    /// <summary>The paths of the requests that Kestrel starts on one port, from ASP.NET Core's own diagnostic events.</summary>
    private sealed class RequestRecorder : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly int port;
        private readonly IDisposable allListeners;
        private readonly ConcurrentBag<IDisposable> subscriptions = [];

        public RequestRecorder(int port)
        {
            this.port = port;
            allListeners = DiagnosticListener.AllListeners.Subscribe(this);
        }

        public ConcurrentQueue<string> Paths { get; } = new();

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == "Microsoft.AspNetCore")
            {
                subscriptions.Add(listener.Subscribe(this, name => name == "Microsoft.AspNetCore.Hosting.BeginRequest"));
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            if (value.Value?.GetType().GetProperty("httpContext")?.GetValue(value.Value) is HttpContext context && context.Connection.LocalPort == port)
            {
                Paths.Enqueue(context.Request.Path + context.Request.QueryString);
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }

        public void Dispose()
        {
            allListeners.Dispose();
            foreach (var subscription in subscriptions)
            {
                subscription.Dispose();
            }
        }
    }
}
