namespace AdminPortal.App.Components;

/// <summary>
/// The page's icon (wwwroot/favicon.svg) as a <c>data:</c> URI, so that the browser never asks the portal for it.
/// </summary>
/// <remarks>
/// Chromium fetches a page's icon again after every same-document navigation, i.e. after every grid page turn, and it
/// revalidates a fingerprinted one too while static assets are served uncached (Development). Every such request
/// passed the cookie's session check and the claims transformation: about 3 ms of server CPU a turn (docs/performance.md,
/// eighth round). The Content-Security-Policy already allows <c>data:</c> images.
/// </remarks>
public static class PageIcon
{
    private static string? dataUri;

    public static string DataUri(IWebHostEnvironment environment) => dataUri ??= Read(environment);

    private static string Read(IWebHostEnvironment environment)
    {
        using var reader = new StreamReader(environment.WebRootFileProvider.GetFileInfo("favicon.svg").CreateReadStream());
        return "data:image/svg+xml," + Uri.EscapeDataString(reader.ReadToEnd());
    }
}
