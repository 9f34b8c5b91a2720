// The console's frame: the section links, the header and what every page shows while loading.
export default {
  en: {
    today: "Today",
    calls: "Calls",
    appointments: "Appointments",
    customers: "Customers",
    settings: "Settings",
    signout: "Sign out",
    loading: "Loading…",
  },
  ja: {
    today: "今日",
    calls: "通話",
    appointments: "予約",
    customers: "顧客",
    settings: "設定",
    signout: "サインアウト",
    loading: "読み込み中…",
  },
  es: {
    today: "Hoy",
    calls: "Llamadas",
    appointments: "Citas",
    customers: "Clientes",
    settings: "Ajustes",
    signout: "Cerrar sesión",
    loading: "Cargando…",
  },
};
