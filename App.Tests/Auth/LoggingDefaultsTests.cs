using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AdminPortal.Tests.Auth;

/// <summary>The shipped logging levels, read from the portal's own built host (appsettings.json as it ships).</summary>
public class LoggingDefaultsTests
{
    private sealed class DevelopmentPortal(string folder) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
        }
    }

    [Theory]
    // IdentityModel's own categories (token validation, key retrieval: the IDX lines), Identity.Web's adapter that
    // forwards them, and Identity.Web itself.
    [InlineData("Microsoft.IdentityModel.Tokens")]
    [InlineData("Microsoft.IdentityModel.Protocols.OpenIdConnect")]
    [InlineData("Microsoft.IdentityModel.LoggingExtensions.IdentityLoggerAdapter")]
    [InlineData("IdentityLoggerAdapter")]
    [InlineData("Microsoft.Identity.Web.TokenAcquisition")]
    public void Logging_IdentityModelCategories_AreAtWarningByDefault(string category)
    {
        string folder = Directory.CreateTempSubdirectory("adminportal-logging-").FullName;
        try
        {
            using var portal = new DevelopmentPortal(folder);
            var logger = portal.Services.GetRequiredService<ILoggerFactory>().CreateLogger(category);

            Assert.False(logger.IsEnabled(LogLevel.Information), $"{category} logs at Information");
            Assert.True(logger.IsEnabled(LogLevel.Warning), $"{category} hides warnings");
            // Everything else keeps the default, so the setting above is the one that does it.
            Assert.True(portal.Services.GetRequiredService<ILoggerFactory>().CreateLogger("AdminPortal.App").IsEnabled(LogLevel.Information));
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }
}
