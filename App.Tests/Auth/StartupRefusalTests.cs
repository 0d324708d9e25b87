using AdminPortal.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace AdminPortal.Tests.Auth;

public class StartupRefusalTests
{
    private sealed class ProductionPortal(string folder) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.UseSetting("ConnectionStrings:Portal", $"Data Source={Path.Combine(folder, "portal.db")}");
            builder.UseSetting("Auth:DevIdentityProvider", "true");
        }
    }

    [Fact]
    public void Start_DevIdentityProviderInProduction_RefusesWithAClearMessage()
    {
        string folder = Directory.CreateTempSubdirectory("adminportal-prod-").FullName;
        try
        {
            using var portal = new ProductionPortal(folder);

            var error = Assert.ThrowsAny<Exception>(() => portal.CreateClient());

            Assert.Contains("Auth:DevIdentityProvider is on outside Development (environment: Production)", error.ToString());
            Assert.False(File.Exists(Path.Combine(folder, "portal.db")), "nothing should have been created before the refusal");
        }
        finally
        {
            TempFolder.Delete(folder);
        }
    }
}
