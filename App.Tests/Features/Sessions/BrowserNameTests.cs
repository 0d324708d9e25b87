using AdminPortal.App.Features.Sessions;

namespace AdminPortal.Tests.Features.Sessions;

/// <summary>The sessions list's short browser names: known tokens only, never the raw (possibly hostile) header.</summary>
public class BrowserNameTests
{
    [Theory]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131 on Windows")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge 131 on Windows")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 on Linux")]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari 17 on iOS")]
    [InlineData("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari 17 on macOS")]
    [InlineData("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome 131 on Android")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "Headless Chrome 131 on Linux")]
    [InlineData("curl/8.5.0", "curl")]
    [InlineData("", BrowserName.Unknown)]
    [InlineData(null, BrowserName.Unknown)]
    [InlineData("<script>alert(1)</script>", BrowserName.Unknown)]
    [InlineData("Chrome/99999999999999999999<img src=x onerror=alert(1)>", "Chrome 9999")]
    public void Describe_UserAgent_GivesAShortReadableName(string? userAgent, string expected) =>
        Assert.Equal(expected, BrowserName.Describe(userAgent));

    [Fact]
    public void Describe_OversizedHeader_StaysShort() =>
        Assert.True(BrowserName.Describe("Mozilla/5.0 (Windows NT 10.0) " + new string('A', 100_000) + " Firefox/1").Length < 40);
}
