"""Who may do what with this feature: {role: [(permission, view_menu), ...]}, merged by app.roles."""
PERMISSIONS = {}
