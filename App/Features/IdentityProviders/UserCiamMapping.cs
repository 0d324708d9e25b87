using AdminPortal.App.Data;
using AdminPortal.App.Features.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace AdminPortal.App.Features.IdentityProviders;

/// <summary>Links a user to their identity at one provider: (provider, external subject) is unique.</summary>
public class UserCiamMapping : IHasId, IHasTimestamps
{
    public const int MaxSubjectLength = 255;

    public long Id { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public long CiamSystemId { get; set; }
    public CiamSystem? CiamSystem { get; set; }
    public string ExternalSubject { get; set; } = "";
    public DateTime? LastLoginAt { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime UpdatedAt { get; set; }
}

internal sealed class UserCiamMappingConfiguration : IEntityTypeConfiguration<UserCiamMapping>
{
    public void Configure(EntityTypeBuilder<UserCiamMapping> entity)
    {
        entity.Property(m => m.ExternalSubject).HasMaxLength(UserCiamMapping.MaxSubjectLength);
        entity.HasIndex(m => new { m.CiamSystemId, m.ExternalSubject }).IsUnique();
        entity.HasIndex(m => m.UserId);
        entity.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Restrict);
        entity.HasOne(m => m.CiamSystem).WithMany().HasForeignKey(m => m.CiamSystemId).OnDelete(DeleteBehavior.Restrict);
    }
}
